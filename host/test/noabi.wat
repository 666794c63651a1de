;; noabi.wat: a plain module without the proxy_abi_version_0_2_1 export; the host must
;; reject it as Envoy does.
(module
  (memory (export "memory") 1)
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
)
