#pragma once

#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "evaluator/history_client.h"

namespace etiquette::testing {

// The one HistoryClient fake of the tests: answers every request with `standing_of(request)`
// (by default a GOOD standing of the request's sender), or fails every call with `status`;
// inline, or, when `hold` is set, only when the test calls Answer() (later and from another
// thread, as a network answer comes). Records what it was asked.
class FakeHistoryClient final : public HistoryClient {
 public:
  static v1::SenderStanding GoodStanding(const v1::GetStandingRequest& request) {
    v1::SenderStanding standing;
    standing.set_sender_id(request.sender_id());
    standing.set_state(v1::STANDING_STATE_GOOD);
    return standing;
  }

  void GetStanding(const v1::GetStandingRequest& request, absl::Duration timeout,
                   StandingDone done) override {
    ++get_calls;
    timeouts.push_back(timeout);
    absl::StatusOr<v1::SenderStanding> answer =
        status.ok() ? absl::StatusOr<v1::SenderStanding>(standing_of(request)) : status;
    Reply([done = std::move(done), answer = std::move(answer)] { done(answer); });
  }

  void BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Duration timeout,
                        StandingsDone done) override {
    ++batch_calls;
    timeouts.push_back(timeout);
    batch_sizes.push_back(request.requests_size());
    std::vector<v1::SenderStanding> standings;
    for (const v1::GetStandingRequest& one : request.requests()) {
      standings.push_back(standing_of(one));
    }
    if (batch_answer_size) standings.resize(*batch_answer_size);
    absl::StatusOr<std::vector<v1::SenderStanding>> answer =
        status.ok() ? absl::StatusOr<std::vector<v1::SenderStanding>>(std::move(standings))
                    : status;
    Reply([done = std::move(done), answer = std::move(answer)] { done(answer); });
  }

  // Runs the answers held so far on another thread, and waits for it. Calls those answers
  // make (a client that sends more when one finishes) are held for the next Answer().
  void Answer() {
    std::vector<std::function<void()>> answers;
    answers.swap(held);
    std::thread([&answers] {
      for (const std::function<void()>& answer : answers) answer();
    }).join();
  }

  // What to answer.
  std::function<v1::SenderStanding(const v1::GetStandingRequest&)> standing_of = GoodStanding;
  absl::Status status = absl::OkStatus();  // not OK: every call fails with it
  bool hold = false;
  std::optional<int> batch_answer_size;  // set: batches get this many standings, whatever asked

  // What it was asked.
  int get_calls = 0;
  int batch_calls = 0;
  std::vector<int> batch_sizes;
  std::vector<absl::Duration> timeouts;
  std::vector<std::function<void()>> held;

 private:
  void Reply(std::function<void()> answer) {
    if (hold) {
      held.push_back(std::move(answer));
    } else {
      answer();
    }
  }
};

}  // namespace etiquette::testing
