/*
 * cwrite.c: C literals (see cwrite.h).
 */
#include "cwrite.h"

void cwrite_literal(FILE *out, struct ir_string s) {
  fputc('"', out);
  for (size_t i = 0; i < s.len; i++) {
    unsigned char ch = (unsigned char)s.text[i];
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch >= 0x20 && ch < 0x7f && ch != '?')   /* '?' would risk trigraphs */
      fputc(ch, out);
    else
      fprintf(out, "\\%03o", ch);   /* octal escapes stop after 3 digits, hex ones do not */
  }
  fputc('"', out);
}

void cwrite_string(FILE *out, struct ir_string s) {
  fputs("{.text = ", out);
  cwrite_literal(out, s);
  fprintf(out, ", .len = %zu}", s.len);
}
