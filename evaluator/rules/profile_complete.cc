#include "evaluator/rules/profile_complete.h"

#include "absl/strings/ascii.h"

namespace etiquette {
namespace {
bool Blank(const std::string& text) { return absl::StripAsciiWhitespace(text).empty(); }
}  // namespace

ProfileCompleteRule::ProfileCompleteRule(v1::ProfileCompleteConfig config, double photo_weight,
                                         double headline_weight)
    : ConfiguredRule("profile-complete",
                     "The sender's profile has a photo and says who they are (headline, "
                     "summary).",
                     std::move(config)),
      photo_weight_(photo_weight),
      headline_weight_(headline_weight) {}

void ProfileCompleteRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const v1::MemberProfile& sender = context.invitation.sender();
  const bool photo = sender.has_photo();
  const bool headline = !Blank(sender.headline());
  const bool summary = !Blank(sender.summary());
  if (photo) result->logit += photo_weight_;
  if (headline) result->logit += headline_weight_;

  if (!photo && !headline && !summary) {
    if (context.stranger) {
      result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE, empty_);
    } else {
      result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, empty_);
    }
  } else if (!photo) {
    result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, no_photo_);
  } else if (!headline) {
    result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, no_headline_);
  }
}

}  // namespace etiquette
