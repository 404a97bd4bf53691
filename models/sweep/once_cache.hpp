#pragma once
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kq {

/// A thread-safe map from a key to a value computed once, by the first thread that asks; the
/// others wait for it. A failure is remembered too: every later request rethrows it (a tech
/// node the table lacks makes every point with that node invalid for the same reason).
template <typename Value>
class OnceCache {
 public:
  template <typename Compute>
  std::shared_ptr<const Value> get(const std::string& key, Compute compute) {
    std::shared_future<std::shared_ptr<const Value>> future;
    std::promise<std::shared_ptr<const Value>> promise;
    bool mine = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        future = promise.get_future().share();
        entries_.emplace(key, future);
        mine = true;
      } else {
        future = it->second;
      }
    }
    if (mine) {
      try {
        promise.set_value(std::make_shared<const Value>(compute()));
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
    }
    return future.get();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_future<std::shared_ptr<const Value>>> entries_;
};

}  // namespace kq
