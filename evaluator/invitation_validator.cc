#include "evaluator/invitation_validator.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/ids.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "evaluator/language_id.h"

namespace etiquette {
namespace {

using Errors = std::vector<std::string>;

// True once more errors than the message lists were found: the rest is not looked at.
bool Full(const Errors& errors) { return errors.size() > kMaxValidationErrors; }

// "<path>: at most <limit>, got <count>" when the repeated field holds more than `limit`.
void CheckCount(int count, int limit, const std::string& path, Errors* errors) {
  if (count > limit) errors->push_back(absl::StrCat(path, ": at most ", limit, ", got ", count));
}

void CheckText(const std::string& text, size_t max_bytes, const std::string& path, Errors* errors) {
  if (text.size() > max_bytes) {
    errors->push_back(
        absl::StrCat(path, ": must be at most ", max_bytes, " bytes, got ", text.size()));
  }
}

void CheckProfile(const v1::MemberProfile& profile, const std::string& path, Errors* errors) {
  CheckId(profile.member_id(), kMaxMemberIdBytes, path + ".member_id", errors);
  CheckText(profile.full_name(), kMaxTextBytes, path + ".full_name", errors);
  CheckText(profile.headline(), kMaxTextBytes, path + ".headline", errors);
  CheckText(profile.summary(), kMaxTextBytes, path + ".summary", errors);
  CheckText(profile.company_id(), kMaxTextBytes, path + ".company_id", errors);
  CheckText(profile.company_name(), kMaxTextBytes, path + ".company_name", errors);
  if (!profile.locale().empty() && !IsWellFormedLanguageTag(profile.locale())) {
    errors->push_back(absl::StrCat(path,
                                   ".locale: must be a well-formed BCP 47 language tag of at most ",
                                   kMaxLanguageTagBytes, " characters"));
  }
}

void CheckRelationship(const v1::Relationship& relationship, absl::Time sent_at,
                       const std::string& path, Errors* errors) {
  if (!v1::Familiarity_IsValid(relationship.familiarity())) {
    errors->push_back(
        absl::StrCat(path, ".familiarity: unknown value ", relationship.familiarity()));
  }
  for (int i = 0; i < relationship.shared_groups_size() && !Full(*errors); ++i) {
    const v1::SharedGroup& group = relationship.shared_groups(i);
    const std::string group_path = absl::StrCat(path, ".shared_groups[", i, "]");
    CheckText(group.group_id(), kMaxTextBytes, group_path + ".group_id", errors);
    CheckText(group.name(), kMaxTextBytes, group_path + ".name", errors);
  }
  for (int i = 0; i < relationship.hiring_events_size() && !Full(*errors); ++i) {
    const v1::HiringEvent& event = relationship.hiring_events(i);
    const std::string event_path = absl::StrCat(path, ".hiring_events[", i, "]");
    if (event.stage() == v1::HIRING_STAGE_UNSPECIFIED) {
      errors->push_back(event_path + ".stage: required");
    } else if (!v1::HiringStage_IsValid(event.stage())) {
      errors->push_back(absl::StrCat(event_path, ".stage: unknown value ", event.stage()));
    }
    CheckText(event.company_id(), kMaxTextBytes, event_path + ".company_id", errors);
    if (!event.has_occurred_at()) {
      errors->push_back(event_path + ".occurred_at: required");
    } else if (!IsValidTimestamp(event.occurred_at())) {
      errors->push_back(event_path + ".occurred_at: not a valid timestamp");
    } else if (ToAbslTime(event.occurred_at()) > sent_at) {
      errors->push_back(event_path + ".occurred_at: must not be after sent_at");
    }
  }
}

}  // namespace

absl::Status ValidateInvitation(const v1::Invitation& invitation, absl::Time now,
                                absl::string_view path_view) {
  const std::string path(path_view);
  Errors errors;
  // The counts first, before any element is looked at: over a limit, nothing else is checked.
  const v1::Relationship& relationship = invitation.relationship();
  CheckCount(relationship.shared_groups_size(), kMaxSharedGroups,
             path + ".relationship.shared_groups", &errors);
  CheckCount(relationship.hiring_events_size(), kMaxHiringEvents,
             path + ".relationship.hiring_events", &errors);
  if (!errors.empty()) return InvalidArgumentFromErrors(errors);

  CheckId(invitation.invitation_id(), kMaxInvitationIdBytes, path + ".invitation_id", &errors);
  if (!invitation.has_sender()) {
    errors.push_back(path + ".sender: required");
  } else {
    CheckProfile(invitation.sender(), path + ".sender", &errors);
  }
  if (!invitation.has_recipient()) {
    errors.push_back(path + ".recipient: required");
  } else {
    CheckProfile(invitation.recipient(), path + ".recipient", &errors);
  }
  if (invitation.has_sender() && invitation.has_recipient() &&
      !invitation.sender().member_id().empty() &&
      invitation.sender().member_id() == invitation.recipient().member_id()) {
    errors.push_back(path + ".recipient.member_id: must differ from the sender's");
  }
  CheckText(invitation.note(), kMaxNoteBytes, path + ".note", &errors);

  absl::Time sent_at = now;
  if (invitation.has_sent_at()) {
    if (!IsValidTimestamp(invitation.sent_at())) {
      errors.push_back(path + ".sent_at: not a valid timestamp");
    } else {
      sent_at = ToAbslTime(invitation.sent_at());
      if (sent_at > now + kMaxClockSkew) {
        errors.push_back(path + ".sent_at: more than 5 minutes in the future");
      }
    }
  }
  CheckRelationship(relationship, sent_at, path + ".relationship", &errors);
  if (Full(errors)) {
    errors.resize(kMaxValidationErrors);
    errors.push_back("... and more");
  }
  return InvalidArgumentFromErrors(errors);
}

}  // namespace etiquette
