;; verdicts.wat: a hand-written Proxy-Wasm filter that does what each request's
;; headers tell it, so tests can make it log sentc's decision and breaker lines
;; (docs/traffic.md, host/verdicts.js), count sentc.* metrics, shadow, block or
;; hold requests at chosen times, without the real runtime:
;;   x-log: TEXT     logged in on_request_headers at level x-log-level (a digit,
;;                   default 1 = debug); x-log2 / x-log2-level likewise
;;   x-count: NAME   a counter defined and incremented by 1; x-count2 likewise
;;   x-shadow: V     request header x-sentinel-shadow: V added, request continues
;;   x-reply: NNN    local reply with that status; with x-blocked: V it carries
;;                   x-sentinel-blocked: V
;;   x-hold          paused; the next tick (every 100 ms) continues every paused one
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $send_local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment_metric (param i32 i64) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 0x10000))
  ;; header names, one per 32 bytes from 0x100
  (data (i32.const 0x100) "x-log")
  (data (i32.const 0x120) "x-log-level")
  (data (i32.const 0x140) "x-log2")
  (data (i32.const 0x160) "x-log2-level")
  (data (i32.const 0x180) "x-count")
  (data (i32.const 0x1a0) "x-count2")
  (data (i32.const 0x1c0) "x-shadow")
  (data (i32.const 0x1e0) "x-reply")
  (data (i32.const 0x200) "x-blocked")
  (data (i32.const 0x220) "x-hold")
  (data (i32.const 0x240) "x-sentinel-shadow")
  (data (i32.const 0x260) "x-sentinel-blocked")
  ;; 0x20/0x24: value pointer and length of the last header read; 0x30: metric id
  ;; 0x400: number of paused streams, their context ids from 0x404 (at most 255)
  ;; 0x800: the local reply's header pairs

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $set_tick (i32.const 100)))
    (i32.const 1))

  ;; 1 when request header (name, len) is present; its value at (0x20), (0x24)
  (func $header (param $name i32) (param $len i32) (result i32)
    (i32.eqz (call $get_header (i32.const 0) (local.get $name) (local.get $len) (i32.const 0x20) (i32.const 0x24))))
  (func $value (result i32) (i32.load (i32.const 0x20)))
  (func $value_len (result i32) (i32.load (i32.const 0x24)))

  ;; logs header (name) at the level in header (level_name), default debug
  (func $log_from (param $name i32) (param $nlen i32) (param $level_name i32) (param $llen i32)
    (local $p i32) (local $l i32) (local $level i32)
    (if (i32.eqz (call $header (local.get $name) (local.get $nlen))) (then (return)))
    (local.set $p (call $value))
    (local.set $l (call $value_len))
    (local.set $level (i32.const 1))
    (if (call $header (local.get $level_name) (local.get $llen))
      (then (local.set $level (i32.sub (i32.load8_u (call $value)) (i32.const 48)))))
    (drop (call $proxy_log (local.get $level) (local.get $p) (local.get $l))))

  ;; defines and increments the counter named by header (name)
  (func $count_from (param $name i32) (param $nlen i32)
    (if (i32.eqz (call $header (local.get $name) (local.get $nlen))) (then (return)))
    (drop (call $define_metric (i32.const 0) (call $value) (call $value_len) (i32.const 0x30)))
    (drop (call $increment_metric (i32.load (i32.const 0x30)) (i64.const 1))))

  ;; a 3-digit status from the header value
  (func $status (result i32)
    (local $p i32)
    (local.set $p (call $value))
    (i32.add (i32.add
      (i32.mul (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)) (i32.const 100))
      (i32.mul (i32.sub (i32.load8_u offset=1 (local.get $p)) (i32.const 48)) (i32.const 10)))
      (i32.sub (i32.load8_u offset=2 (local.get $p)) (i32.const 48))))

  ;; local reply with status from x-reply, x-sentinel-blocked from x-blocked if given
  (func $reply
    (local $status i32) (local $len i32) (local $vlen i32)
    (local.set $status (call $status))
    (if (call $header (i32.const 0x200) (i32.const 9))
      (then
        (local.set $vlen (call $value_len))
        (i32.store (i32.const 0x800) (i32.const 1))
        (i32.store (i32.const 0x804) (i32.const 18))
        (i32.store (i32.const 0x808) (local.get $vlen))
        (memory.copy (i32.const 0x80c) (i32.const 0x260) (i32.const 18))
        (i32.store8 (i32.const 0x81e) (i32.const 0))
        (memory.copy (i32.const 0x81f) (call $value) (local.get $vlen))
        (i32.store8 (i32.add (i32.const 0x81f) (local.get $vlen)) (i32.const 0))
        (local.set $len (i32.add (i32.const 32) (local.get $vlen)))))
    (drop (call $send_local (local.get $status) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0x800) (local.get $len) (i32.const -1))))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
    (local $n i32)
    (global.set $heap (i32.const 0x10000))
    (call $log_from (i32.const 0x100) (i32.const 5) (i32.const 0x120) (i32.const 11))
    (call $log_from (i32.const 0x140) (i32.const 6) (i32.const 0x160) (i32.const 12))
    (call $count_from (i32.const 0x180) (i32.const 7))
    (call $count_from (i32.const 0x1a0) (i32.const 8))
    (if (call $header (i32.const 0x1c0) (i32.const 8))
      (then (drop (call $add_header (i32.const 0) (i32.const 0x240) (i32.const 17) (call $value) (call $value_len)))))
    (if (call $header (i32.const 0x1e0) (i32.const 7))
      (then (call $reply) (return (i32.const 0))))
    (if (call $header (i32.const 0x220) (i32.const 6))
      (then
        (local.set $n (i32.load (i32.const 0x400)))
        (i32.store (i32.add (i32.const 0x404) (i32.shl (local.get $n) (i32.const 2))) (local.get $ctx))
        (i32.store (i32.const 0x400) (i32.add (local.get $n) (i32.const 1)))
        (return (i32.const 1))))
    (i32.const 0))

  (func (export "proxy_on_tick") (param i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 0x400))))
        (drop (call $set_effective (i32.load (i32.add (i32.const 0x404) (i32.shl (local.get $i) (i32.const 2))))))
        (drop (call $continue (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 0x400) (i32.const 0)))
)
