;; init_bad.wat: a module whose _initialize calls proxy_set_shared_data, which Envoy
;; forbids before the VM has started; the host must refuse it, naming the call.
(module
  (import "env" "proxy_set_shared_data" (func $set (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize")
    (drop (call $set (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0))))
)
