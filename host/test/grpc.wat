;; grpc.wat: a hand-written Proxy-Wasm filter that makes one unary gRPC call per
;; request and answers the request from its outcome, so tests can check the host's
;; gRPC calls as Envoy makes them (a host bug cannot hide behind a plugin bug).
;;
;; on_request_headers calls /test.Echo/Say with the request's :path as the message
;; and the timeout in the exported global `timeout_ms` (5 s unless a test sets it),
;; on the cluster the header x-cluster names (its value as the
;; raw `service` argument), else on the GrpcService {envoy_grpc {cluster_name "rls"}};
;; it keeps the stream's context id under the call's token and pauses the stream. The
;; result of proxy_grpc_call and the token are kept in the exported globals `result`
;; and `token`; when the call fails to start, the stream goes on.
;;   proxy_on_grpc_receive: answers the stream 200 with the received message as body;
;;   proxy_on_grpc_close: answers it 500 + the grpc-status, with proxy_get_status's
;;     message as body.
;; Both record the context id they were called with in the global `callback_ctx`.
;; The export `cancel` (token) calls proxy_grpc_cancel.
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_call" (func $grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_cancel" (func $grpc_cancel (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_status" (func $get_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective (param i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $send_local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 0x10000))
  (global $result (export "result") (mut i32) (i32.const -1))
  (global $token (export "token") (mut i32) (i32.const 0))
  (global $callback_ctx (export "callback_ctx") (mut i32) (i32.const 0))
  (global $timeout_ms (export "timeout_ms") (mut i32) (i32.const 5000))
  (data (i32.const 256) ":path")
  (data (i32.const 288) "x-cluster")
  (data (i32.const 320) "test.Echo")
  (data (i32.const 352) "Say")
  ;; GrpcService {envoy_grpc (1) {cluster_name (1) "rls"}}
  (data (i32.const 384) "\0a\05\0a\03rls")
  ;; initial metadata: no pairs
  (data (i32.const 416) "\00\00\00\00")
  ;; out pointers: 0x800 value pointer, 0x804 size, 0x808 token, 0x80c status code
  ;; contexts by token: 0x1000 + 4 * token (tokens below 1024)

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
    (local $path i32) (local $path_len i32) (local $svc i32) (local $svc_len i32)
    (drop (call $get_header (i32.const 0) (i32.const 256) (i32.const 5) (i32.const 0x800) (i32.const 0x804)))
    (local.set $path (i32.load (i32.const 0x800)))
    (local.set $path_len (i32.load (i32.const 0x804)))
    (local.set $svc (i32.const 384))
    (local.set $svc_len (i32.const 7))
    (if (i32.eqz (call $get_header (i32.const 0) (i32.const 288) (i32.const 9) (i32.const 0x800) (i32.const 0x804)))
      (then
        (local.set $svc (i32.load (i32.const 0x800)))
        (local.set $svc_len (i32.load (i32.const 0x804)))))
    (global.set $result
      (call $grpc_call (local.get $svc) (local.get $svc_len) (i32.const 320) (i32.const 9)
        (i32.const 352) (i32.const 3) (i32.const 416) (i32.const 4)
        (local.get $path) (local.get $path_len) (global.get $timeout_ms) (i32.const 0x808)))
    (if (global.get $result) (then (return (i32.const 0))))
    (global.set $token (i32.load (i32.const 0x808)))
    (i32.store (i32.add (i32.const 0x1000) (i32.shl (global.get $token) (i32.const 2))) (local.get $ctx))
    (i32.const 1))

  (func (export "proxy_on_grpc_receive") (param $ctx i32) (param $token i32) (param $size i32)
    (global.set $callback_ctx (local.get $ctx))
    (drop (call $get_buffer_bytes (i32.const 5) (i32.const 0) (local.get $size) (i32.const 0x800) (i32.const 0x804)))
    (drop (call $set_effective (i32.load (i32.add (i32.const 0x1000) (i32.shl (local.get $token) (i32.const 2))))))
    (drop (call $send_local (i32.const 200) (i32.const 0) (i32.const 0)
      (i32.load (i32.const 0x800)) (i32.load (i32.const 0x804)) (i32.const 416) (i32.const 4) (i32.const -1))))

  (func (export "proxy_on_grpc_close") (param $ctx i32) (param $token i32) (param $status i32)
    (global.set $callback_ctx (local.get $ctx))
    (drop (call $get_status (i32.const 0x80c) (i32.const 0x800) (i32.const 0x804)))
    (drop (call $set_effective (i32.load (i32.add (i32.const 0x1000) (i32.shl (local.get $token) (i32.const 2))))))
    (drop (call $send_local (i32.add (i32.const 500) (i32.load (i32.const 0x80c))) (i32.const 0) (i32.const 0)
      (i32.load (i32.const 0x800)) (i32.load (i32.const 0x804)) (i32.const 416) (i32.const 4) (i32.const -1))))

  (func (export "cancel") (param $token i32) (result i32) (call $grpc_cancel (local.get $token)))
)
