# locai_control: the control plane's registry, admin routes and the server that composes them with
# auth (locai_control_auth) and the fleet (locai_control_fleet). See src/control/README.md.
# Included from src/control/CMakeLists.txt after the part libraries.
set(LOCAI_CONTROL_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(locai_control
  ${LOCAI_CONTROL_DIR}/admin/admin_routes.cc
  ${LOCAI_CONTROL_DIR}/registry/blob_routes.cc
  ${LOCAI_CONTROL_DIR}/registry/byte_range.cc
  ${LOCAI_CONTROL_DIR}/registry/manifest.cc
  ${LOCAI_CONTROL_DIR}/registry/model_ref.cc
  ${LOCAI_CONTROL_DIR}/registry/model_routes.cc
  ${LOCAI_CONTROL_DIR}/registry/registry.cc
  ${LOCAI_CONTROL_DIR}/registry/task_threads.cc
  ${LOCAI_CONTROL_DIR}/registry/upload_routes.cc
  ${LOCAI_CONTROL_DIR}/server/bootstrap.cc
  ${LOCAI_CONTROL_DIR}/server/control_server.cc
  ${LOCAI_CONTROL_DIR}/server/files.cc
  ${LOCAI_CONTROL_DIR}/server/tls_setup.cc
)
target_link_libraries(locai_control PUBLIC locai_control_auth locai_store locai_crypto locai_net
  locai_api locai_engine_model locai_common nlohmann_json::nlohmann_json Threads::Threads
  locai_control_compliance  # plans, usage and the audit log
  locai_router)             # routing policies and providers (PolicyStore), cloud egress rules
# The fleet (enrolment, fleet link, deployments) plugs its routes into the server when it is built,
# and with it the gateway (/v1/chat/completions, ... routed to the nodes over their links).
if(TARGET locai_control_fleet)
  target_link_libraries(locai_control PUBLIC locai_control_fleet locai_control_gateway)
  target_compile_definitions(locai_control PRIVATE LOCAI_CONTROL_HAS_FLEET=1)
endif()
# The routing admin API (policies, key overrides, providers, egress journal) when it is built.
if(TARGET locai_control_routing_admin)
  target_link_libraries(locai_control PUBLIC locai_control_routing_admin)
  target_compile_definitions(locai_control PRIVATE LOCAI_CONTROL_HAS_ROUTING_ADMIN=1)
endif()

locai_add_test(control_test
  SOURCES
    ${LOCAI_CONTROL_DIR}/registry/byte_range_test.cc
    ${LOCAI_CONTROL_DIR}/registry/manifest_test.cc
    ${LOCAI_CONTROL_DIR}/registry/model_ref_test.cc
    ${LOCAI_CONTROL_DIR}/server/control_server_test.cc
    ${LOCAI_CONTROL_DIR}/server/tls_setup_test.cc
    ${LOCAI_CONTROL_DIR}/router/fake_upstream.cc  # a cloud provider for the gateway's fallback
  LIBS locai_control)
