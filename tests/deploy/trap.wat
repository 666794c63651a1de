;; trap.wat: a Proxy-Wasm module that starts and configures, then traps on every
;; request (unreachable), so tests/deploy.test can show that the host fails open or
;; closed as the generated bootstrap's fail_open says.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (unreachable))
)
