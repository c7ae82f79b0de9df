// NodeJobs: HTTP requests carried to a node over its fleet link (issue 5), multiplexed with the
// link's other messages, the response streamed back as the node produces it.
//
// Frames on the link (docs/control-plane.md, "Inference over the fleet link"):
//   server -> node  {"type":"job","id":J,"method":"POST","path":"/v1/chat/completions",
//                    "headers":{"anthropic-version":"2023-06-01",...},"body":"..."}
//   server -> node  {"type":"job_cancel","id":J}          the client went away
//   node -> server  {"type":"job_head","id":J,"status":200,"headers":{...}}
//   node -> server  {"type":"job_data","id":J,"data":"..."} a piece of the body (UTF-8 text)
//   node -> server  {"type":"job_end","id":J,"usage":{"prompt_tokens":N,"completion_tokens":M}}
//   node -> server  {"type":"job_error","id":J,"message":"..."}  could not run it (before a head)
// The node runs a job through the same handlers as its HTTP API, so the body is exactly what a
// client calling the node directly would get (one implementation of the wire formats).
//
// Threading: StartJob and Cancel from any thread. The observer's methods are called on the
// fleet's io threads in frame order, never concurrently for one job: OnHead at most once, then
// OnData any number of times, then exactly one of OnEnd / OnFailed (OnFailed may also come
// before OnHead). After a Cancel, nothing more is called. Observers must be quick (no blocking).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace locai::control::fleet {

// A request for a node.
struct NodeJob {
  std::string method = "POST";
  std::string path;  // "/v1/chat/completions", "/v1/completions", "/v1/messages"
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names
  std::string body;
};

struct NodeJobUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

class NodeJobObserver {
 public:
  virtual ~NodeJobObserver() = default;
  // The node's status and headers (x-request-id, content-type, retry-after, ...).
  virtual void OnHead(int status, std::vector<std::pair<std::string, std::string>> headers) = 0;
  virtual void OnData(std::string data) = 0;
  virtual void OnEnd(NodeJobUsage usage) = 0;
  // The link dropped, the node was revoked or went offline, or the node refused the job
  // (Unavailable for a lost link, the node's message otherwise).
  virtual void OnFailed(Status status) = 0;
};

// A connected node as routing sees it.
struct RoutableNode {
  std::string id;
  std::string org_id;
  std::string group;
  std::map<std::string, std::string> labels;
  bool healthy = false;                    // online (not unhealthy)
  std::vector<std::string> models_ready;   // every registry name of each model in state ready
  int64_t outstanding_tokens = 0;          // the node's last reported queue depth, as a load
  // Model name -> requests the node runs at once for it (the `parallel` of the desired model
  // sent to the node); 1 when unknown. Holds every name of models_ready.
  std::map<std::string, int64_t> slots;
};

class NodeJobs {
 public:
  virtual ~NodeJobs() = default;
  // Connected nodes of `org_id` that said hello.
  virtual std::vector<RoutableNode> RoutableNodes(const std::string& org_id) = 0;
  // Sends the job to the node. Unavailable when the node has no open link. Returns the job id.
  virtual Result<std::string> StartJob(const std::string& node_id, NodeJob job,
                                       std::shared_ptr<NodeJobObserver> observer) = 0;
  // Tells the node to stop the job and forgets the observer. No-op for an unknown id.
  virtual void CancelJob(const std::string& job_id) = 0;
};

}  // namespace locai::control::fleet
