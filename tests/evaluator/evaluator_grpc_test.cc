// The evaluator over real gRPC: an in-process server on 127.0.0.1, port 0; with history, an
// in-process SenderHistory whose answers the test releases.
#include <condition_variable>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/grpc_server.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_metrics.h"
#include "evaluator/evaluator_service.h"
#include "evaluator/history_client.h"
#include "evaluator/language_id.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::GoodInvitation;

// The verdict's finding from `rule_id`, or null.
const v1::Finding* FindingOf(const v1::Verdict& verdict, absl::string_view rule_id) {
  for (const v1::Finding& finding : verdict.findings()) {
    if (finding.rule_id() == rule_id) return &finding;
  }
  return nullptr;
}

class EvaluatorGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    evaluator_ = std::make_unique<Evaluator>(
        std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())));
    service_ = std::make_unique<EvaluatorService>(*evaluator_);
    absl::StatusOr<std::unique_ptr<RunningServer>> started = StartGrpcServer(
        "127.0.0.1:0", {service_.get()}, {v1::InvitationEvaluator::service_full_name()});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::InvitationEvaluator::NewStub(channel_);
  }
  void TearDown() override { server_.reset(); }

  grpc::Status Evaluate(const v1::Invitation& invitation, v1::EvaluateResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::EvaluateRequest request;
    *request.mutable_invitation() = invitation;
    return stub_->Evaluate(&context, request, response);
  }

  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<EvaluatorService> service_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvitationEvaluator::Stub> stub_;
};

TEST_F(EvaluatorGrpcTest, EvaluateReturnsAVerdict) {
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(GoodInvitation(), &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  EXPECT_EQ(response.verdict().invitation_id(), "inv-0001");
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
  EXPECT_GT(response.verdict().acceptance_likelihood(), 0.31);
  EXPECT_EQ(response.verdict().rules_version(), RulesVersion(DefaultEvaluatorConfig()));
}

TEST_F(EvaluatorGrpcTest, StockNoteToStrangerMustBeRevised) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_note("I'd like to add you to my professional network on LinkedIn.");
  v1::EvaluateResponse response;
  ASSERT_TRUE(Evaluate(invitation, &response).ok());
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_REVISE);
  ASSERT_GE(response.verdict().findings_size(), 1);
  EXPECT_EQ(response.verdict().findings(0).rule_id(), "personal-note");
  EXPECT_EQ(response.verdict().findings(0).severity(), v1::SEVERITY_VIOLATION);
  EXPECT_FALSE(response.verdict().findings(0).advice().empty());
}

// The same stock note from a German-speaking and an English-speaking sender: the same code and
// params, message and advice in each sender's language (the "de" catalog for "de-CH").
TEST_F(EvaluatorGrpcTest, GermanSenderGetsGermanTextsAndTheSameCodes) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_note(
      "Ich möchte Sie gerne zu meinem beruflichen Netzwerk auf LinkedIn hinzufügen.");
  invitation.mutable_sender()->set_premium(false);
  invitation.set_note(invitation.note() + std::string(150, 'x'));
  v1::EvaluateResponse english;
  ASSERT_TRUE(Evaluate(invitation, &english).ok());
  invitation.mutable_sender()->set_locale("de-CH");
  v1::EvaluateResponse german;
  ASSERT_TRUE(Evaluate(invitation, &german).ok());
  ASSERT_EQ(german.verdict().findings_size(), english.verdict().findings_size());
  bool length_seen = false;
  for (int i = 0; i < german.verdict().findings_size(); ++i) {
    const v1::Finding& de = german.verdict().findings(i);
    const v1::Finding& en = english.verdict().findings(i);
    EXPECT_EQ(de.code(), en.code());
    EXPECT_EQ((std::map<std::string, std::string>(de.params().begin(), de.params().end())),
              (std::map<std::string, std::string>(en.params().begin(), en.params().end())));
    EXPECT_NE(de.message(), en.message()) << de.code();
    if (de.code() != "note-length.over-limit") continue;
    length_seen = true;
    EXPECT_EQ(de.params().at("length"), "226");
    EXPECT_EQ(de.params().at("limit"), "200");
    EXPECT_EQ(de.params().at("tier"), "free");
    EXPECT_EQ(de.message(),
              "Die Nachricht hat 226 Zeichen; die Grenze für Mitglieder ohne Premium liegt bei "
              "200.");
    EXPECT_EQ(de.advice(), "Kürzen Sie die Nachricht auf höchstens 200 Zeichen.");
    EXPECT_EQ(en.message(), "The note has 226 characters; the limit for free senders is 200.");
    EXPECT_EQ(en.advice(), "Shorten the note to 200 characters or fewer.");
  }
  EXPECT_TRUE(length_seen);
}

// One case per shipped language pack: its stock text, in upper case with the sender's dash
// sign-off, is REVISE over gRPC, and the verdict names the note's language.
TEST_F(EvaluatorGrpcTest, StockNoteInEveryLanguagePackIsRevised) {
  struct Case {
    const char* locale;
    const char* stock;
  };
  for (const Case& c : std::vector<Case>{
           {"en-US", "I'D LIKE TO ADD YOU TO MY PROFESSIONAL NETWORK ON LINKEDIN. - Alex Sender"},
           {"de-DE",
            "ICH MÖCHTE SIE GERNE ZU MEINEM BERUFLICHEN NETZWERK AUF LINKEDIN "
            "HINZUFÜGEN. - Alex Sender"},
           {"fr-FR",
            "JE SOUHAITERAIS FAIRE PARTIE DE VOTRE RÉSEAU PROFESSIONNEL SUR LINKEDIN. - "
            "Alex Sender"},
           {"es-ES", "ME GUSTARÍA AÑADIRTE A MI RED PROFESIONAL EN LINKEDIN. - Alex Sender"},
           {"pt-BR",
            "GOSTARIA DE ADICIONÁ-LO À MINHA REDE PROFISSIONAL NO LINKEDIN. - Alex Sender"},
           {"it-IT", "VORREI AGGIUNGERTI ALLA MIA RETE PROFESSIONALE SU LINKEDIN. - Alex Sender"},
           {"nl-NL",
            "IK WIL JE GRAAG TOEVOEGEN AAN MIJN PROFESSIONELE NETWERK OP LINKEDIN. - Alex "
            "Sender"},
           {"ja-JP", "LinkedInのネットワークにご招待します。 - Alex Sender"},
           {"zh-CN", "我想邀请您加入我的领英职业人脉。 - Alex Sender"},
           {"ar-EG", "أود إضافتك إلى شبكتي المهنية على LinkedIn. - Alex Sender"}}) {
    v1::Invitation invitation = GoodInvitation();
    invitation.mutable_sender()->set_locale(c.locale);
    invitation.set_note(c.stock);
    v1::EvaluateResponse response;
    grpc::Status status = Evaluate(invitation, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
    EXPECT_EQ(response.verdict().decision(), v1::DECISION_REVISE) << c.locale;
    EXPECT_TRUE(SameLanguage(response.verdict().note_language(), c.locale))
        << c.locale << " " << response.verdict().note_language();
  }
}

TEST_F(EvaluatorGrpcTest, RecipientNamedInAJapaneseNoteIsPositive) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_full_name("田中 太郎");
  invitation.set_note("田中さん、先週の勉強会でのご発表、大変参考になりました。");
  v1::EvaluateResponse response;
  ASSERT_TRUE(Evaluate(invitation, &response).ok());
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
  EXPECT_EQ(response.verdict().note_language(), "ja");
  ASSERT_GE(response.verdict().findings_size(), 1);
  EXPECT_EQ(response.verdict().findings(0).rule_id(), "personal-note");
  EXPECT_EQ(response.verdict().findings(0).severity(), v1::SEVERITY_POSITIVE);
}

// Issue 16's notes over gRPC: the unfilled template is revised with the placeholder named, the
// sales opener is flagged, and neither is called personal although both greet the recipient.
TEST_F(EvaluatorGrpcTest, TemplatesAndSalesOpenersAreFlaggedAndNotCalledPersonal) {
  v1::Invitation templated = GoodInvitation();
  templated.set_note("Hi {firstName}, I noticed we are both working on {industry}.");
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(templated, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_REVISE);
  const v1::Finding* placeholder = FindingOf(response.verdict(), "note-placeholder");
  ASSERT_NE(placeholder, nullptr);
  EXPECT_EQ(placeholder->code(), "note-placeholder.unfilled");
  EXPECT_EQ(placeholder->params().at("placeholder"), "{firstName}");
  EXPECT_NE(placeholder->advice().find("{firstName}"), std::string::npos) << placeholder->advice();
  EXPECT_EQ(FindingOf(response.verdict(), "personal-note"), nullptr);

  v1::Invitation sales = GoodInvitation();
  sales.set_note("Hi Jordan, I help companies like yours scale revenue, would love to chat!");
  response.Clear();
  status = Evaluate(sales, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
  const v1::Finding* pitch = FindingOf(response.verdict(), "note-pitch");
  ASSERT_NE(pitch, nullptr);
  EXPECT_EQ(pitch->severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(pitch->code(), "note-pitch.sales-language");
  EXPECT_EQ(FindingOf(response.verdict(), "personal-note"), nullptr);
}

// "Just because we are connected on Twitter doesn't necessarily mean we should connect on
// LinkedIn": a stranger's note that gives a follow as the tie gets twitter-only's advice, in
// the sender's language, even when the platform knows of no follow.
TEST_F(EvaluatorGrpcTest, ANoteGivingATwitterFollowAsTheTieGetsTwitterOnlyAdvice) {
  v1::Invitation invitation =
      testing::StrangerWithNoTies("Hallo Frau Weber, ich folge Ihnen seit Jahren auf Twitter.");
  invitation.mutable_sender()->set_locale("de-DE");
  v1::EvaluateResponse response;
  const grpc::Status status = Evaluate(invitation, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  const v1::Finding* twitter = FindingOf(response.verdict(), "twitter-only");
  ASSERT_NE(twitter, nullptr);
  EXPECT_EQ(twitter->code(), "twitter-only.note-tie");
  EXPECT_EQ(twitter->severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(twitter->message(),
            "Die Nachricht nennt ein Folgen auf Twitter als Verbindung zwischen den beiden.");
}

// "Do not send a request after a job interview or if you have just submitted a resume": the
// platform may not know of the application, the note says it.
TEST_F(EvaluatorGrpcTest, ANoteSayingTheSenderWasInterviewedIsDeferred) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_relationship()->clear_hiring_events();
  invitation.mutable_sender()->set_locale("fr-FR");
  invitation.set_note("Bonjour, j'ai postulé au poste de développeur dans votre équipe.");
  v1::EvaluateResponse response;
  const grpc::Status status = Evaluate(invitation, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_DEFER);
  const v1::Finding* interview = FindingOf(response.verdict(), "after-interview");
  ASSERT_NE(interview, nullptr);
  EXPECT_EQ(interview->code(), "after-interview.note-says");
  EXPECT_EQ(interview->severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(interview->message(),
            "Le message indique que l’expéditeur a postulé ou passé un entretien, mais pas qu’il "
            "a obtenu le poste.");
}

TEST_F(EvaluatorGrpcTest, MalformedLocaleIsInvalidArgumentNamingTheField) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_locale("en_US");
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(invitation, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("invitation.recipient.locale"), std::string::npos)
      << status.error_message();
}

TEST_F(EvaluatorGrpcTest, BadInvitationIsInvalidArgumentAndServerKeepsServing) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_member_id(invitation.sender().member_id());
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(invitation, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "invitation.recipient.member_id: must differ from the sender's");

  EXPECT_EQ(Evaluate(GoodInvitation(), &response).error_code(), grpc::StatusCode::OK);
}

TEST_F(EvaluatorGrpcTest, MissingInvitationIsInvalidArgument) {
  grpc::ClientContext context;
  v1::EvaluateResponse response;
  grpc::Status status = stub_->Evaluate(&context, v1::EvaluateRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "invitation: required");
}

// The typed-handler adapter (common/typed_callback_service.h): bytes that are not the request
// are answered INVALID_ARGUMENT with a fixed message naming the request type, before the handler
// but with the access log (so the x-request-id comes back); a request that parses gets its
// x-request-id too.
TEST_F(EvaluatorGrpcTest, BytesThatAreNotTheRequestAreInvalidArgumentBeforeTheHandler) {
  grpc::GenericStub stub(channel_);
  for (const auto& [method, type] : std::vector<std::pair<std::string, std::string>>{
           {"/etiquette.v1.InvitationEvaluator/Evaluate", "etiquette.v1.EvaluateRequest"},
           {"/etiquette.v1.InvitationEvaluator/EvaluateBatch", "etiquette.v1.EvaluateBatchRequest"},
           {"/etiquette.v1.InvitationEvaluator/ListRules", "etiquette.v1.ListRulesRequest"}}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11));
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer reply;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &reply,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
    const grpc::Status status = done.get_future().get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_EQ(status.error_message(),
              "request: not a valid " + type +
                  " (malformed protobuf, or a string field that is not UTF-8)")
        << method;
    EXPECT_EQ(context.GetServerInitialMetadata().count("x-request-id"), 1u) << method;
  }

  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "adapter-test-1");
  v1::ListRulesResponse response;
  ASSERT_TRUE(stub_->ListRules(&context, v1::ListRulesRequest(), &response).ok());
  EXPECT_FALSE(response.rules_version().empty());
  auto echoed = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "adapter-test-1");
}

TEST_F(EvaluatorGrpcTest, EvaluateBatchMixesValidAndInvalidSlots) {
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < 4; ++i) {
    v1::Invitation& invitation = *request.add_invitations();
    invitation = GoodInvitation();
    invitation.set_invitation_id("inv-" + std::to_string(i));
  }
  request.mutable_invitations(1)->set_invitation_id("has space");
  request.mutable_invitations(3)->mutable_sender()->clear_member_id();
  grpc::ClientContext context;
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  ASSERT_EQ(response.verdicts_size(), 4);
  EXPECT_EQ(response.verdicts(0).decision(), v1::DECISION_SEND);
  EXPECT_FALSE(response.verdicts(0).has_error());
  EXPECT_EQ(response.verdicts(1).decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_EQ(response.verdicts(1).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.verdicts(1).error().message(),
            "invitations[1].invitation_id: may only contain A-Z a-z 0-9 . _ : -");
  EXPECT_EQ(response.verdicts(2).invitation_id(), "inv-2");
  EXPECT_EQ(response.verdicts(2).decision(), v1::DECISION_SEND);
  EXPECT_EQ(response.verdicts(3).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.verdicts(3).error().message(),
            "invitations[3].sender.member_id: must not be empty");
}

TEST_F(EvaluatorGrpcTest, EmptyBatchIsInvalidArgument) {
  grpc::ClientContext context;
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, v1::EvaluateBatchRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EvaluatorGrpcTest, OversizedBatchIsInvalidArgument) {
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < kMaxBatchSize + 1; ++i) *request.add_invitations() = GoodInvitation();
  grpc::ClientContext context;
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "invitations: must hold 1 to 1000 invitations, got more");
}

TEST_F(EvaluatorGrpcTest, ListRulesShowsEveryRule) {
  grpc::ClientContext context;
  v1::ListRulesResponse response;
  ASSERT_TRUE(stub_->ListRules(&context, v1::ListRulesRequest(), &response).ok());
  EXPECT_EQ(response.rules_size(), 17);
  EXPECT_EQ(response.rules_version(), RulesVersion(DefaultEvaluatorConfig()));
  EXPECT_EQ(response.rules(0).rule_id(), "personal-note");
  EXPECT_EQ(response.rules(0).mode(), v1::RULE_MODE_ENFORCE);
  // template-blast (issue 16) after note-placeholder, SHADOW, its thresholds as parameters.
  EXPECT_EQ(response.rules(9).rule_id(), "template-blast");
  EXPECT_EQ(response.rules(9).mode(), v1::RULE_MODE_SHADOW);
  EXPECT_EQ(response.rules(9).parameters().at("advice_at"), "5");
  EXPECT_EQ(response.rules(9).parameters().at("defer_at"), "25");
}

TEST_F(EvaluatorGrpcTest, HealthIsServingOverallAndForTheService) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service : {"", "etiquette.v1.InvitationEvaluator"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

// ---------------------------------------------------------------------------------------------
// With a history service that answers when the test says so.

// SenderHistory on the callback API (so that it holds no thread either): answers GetStanding and
// BatchGetStanding with GOOD standings, at once, or, while holding, only at Release(). Counts
// the calls it received.
class HeldHistory final : public v1::SenderHistory::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetStanding(grpc::CallbackServerContext* context,
                                        const v1::GetStandingRequest* request,
                                        v1::GetStandingResponse* response) override {
    Good(request->sender_id(), response->mutable_standing());
    return Arrived(context->DefaultReactor());
  }
  grpc::ServerUnaryReactor* BatchGetStanding(grpc::CallbackServerContext* context,
                                             const v1::BatchGetStandingRequest* request,
                                             v1::BatchGetStandingResponse* response) override {
    for (const v1::GetStandingRequest& one : request->requests()) {
      Good(one.sender_id(), response->add_standings());
    }
    return Arrived(context->DefaultReactor());
  }

  void Hold() {
    std::lock_guard<std::mutex> lock(mutex_);
    holding_ = true;
  }
  // Answers every held call (whether or not its caller still waits), then answers at once.
  void Release() {
    std::vector<grpc::ServerUnaryReactor*> held;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      holding_ = false;
      held.swap(held_);
    }
    for (grpc::ServerUnaryReactor* reactor : held) reactor->Finish(grpc::Status::OK);
  }
  // Waits up to `timeout` for `calls` calls in all to have arrived; true when they have.
  bool WaitForCalls(int calls, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, absl::ToChronoSeconds(timeout),
                             [&] { return received_ >= calls; });
  }

 private:
  static void Good(const std::string& sender_id, v1::SenderStanding* standing) {
    standing->set_sender_id(sender_id);
    standing->set_state(v1::STANDING_STATE_GOOD);
  }
  grpc::ServerUnaryReactor* Arrived(grpc::ServerUnaryReactor* reactor) {
    bool answer_now = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++received_;
      if (holding_) {
        held_.push_back(reactor);
      } else {
        answer_now = true;
      }
    }
    arrived_.notify_all();
    if (answer_now) reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  std::mutex mutex_;
  std::condition_variable arrived_;
  bool holding_ = false;                         // guarded by mutex_
  int received_ = 0;                             // guarded by mutex_
  std::vector<grpc::ServerUnaryReactor*> held_;  // guarded by mutex_
};

// Threads of this process.
int ThreadCount() {
  int threads = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    ++threads;
  }
  return threads;
}

bool HasFinding(const v1::Verdict& verdict, const std::string& rule_id) {
  for (const v1::Finding& finding : verdict.findings()) {
    if (finding.rule_id() == rule_id) return true;
  }
  return false;
}

class EvaluatorWithHistoryGrpcTest : public EvaluatorGrpcTest {
 protected:
  void SetUp() override {}  // Start() instead
  void TearDown() override {
    history_.Release();  // nothing may stay held past the test
    server_.reset();
    history_server_.reset();
  }

  // History on a port of its own, then the evaluator wired to it (GrpcHistoryClient).
  void Start(absl::Duration history_timeout, HistoryFailMode mode = HistoryFailMode::kOpen) {
    absl::StatusOr<std::unique_ptr<RunningServer>> history =
        StartGrpcServer("127.0.0.1:0", {&history_}, {v1::SenderHistory::service_full_name()});
    ASSERT_TRUE(history.ok()) << history.status();
    history_server_ = std::move(*history);
    history_client_ = std::make_unique<GrpcHistoryClient>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(history_server_->port()),
                            grpc::InsecureChannelCredentials()));
    evaluator_ = std::make_unique<Evaluator>(
        std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())),
        absl::Now, history_client_.get(), mode, history_timeout);
    service_ = std::make_unique<EvaluatorService>(*evaluator_);
    absl::StatusOr<std::unique_ptr<RunningServer>> started = StartGrpcServer(
        "127.0.0.1:0", {service_.get()}, {v1::InvitationEvaluator::service_full_name()});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::InvitationEvaluator::NewStub(channel_);
  }

  // TearDown stops the evaluator's server before history's.
  HeldHistory history_;
  std::unique_ptr<RunningServer> history_server_;
  std::unique_ptr<GrpcHistoryClient> history_client_;
};

TEST_F(EvaluatorWithHistoryGrpcTest, AnsweredStandingIsCarried) {
  Start(absl::Seconds(10));
  v1::EvaluateResponse response;
  ASSERT_TRUE(Evaluate(GoodInvitation(), &response).ok());
  EXPECT_FALSE(response.verdict().degraded());
  EXPECT_EQ(response.verdict().sender_standing().state(), v1::STANDING_STATE_GOOD);
}

// History answers after the evaluator's timeout: the verdict does not wait for it, it comes
// degraded; the late answer, to a call the evaluator gave up on, changes nothing.
TEST_F(EvaluatorWithHistoryGrpcTest, LateHistoryAnswerDegradesTheVerdictAndIsDropped) {
  Start(absl::Milliseconds(50));
  history_.Hold();
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(GoodInvitation(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.verdict().degraded());
  EXPECT_FALSE(response.verdict().has_sender_standing());
  EXPECT_TRUE(HasFinding(response.verdict(), "history-unavailable"));
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
  ASSERT_TRUE(history_.WaitForCalls(1, absl::Seconds(10)));  // asked, still unanswered
  history_.Release();                                        // the late answer

  // The evaluator goes on using history's answers.
  response.Clear();
  ASSERT_TRUE(Evaluate(GoodInvitation(), &response).ok());
  EXPECT_FALSE(response.verdict().degraded());
  EXPECT_EQ(response.verdict().sender_standing().state(), v1::STANDING_STATE_GOOD);
}

TEST_F(EvaluatorWithHistoryGrpcTest, LateHistoryAnswerDefersTheBatchWhenFailingClosed) {
  Start(absl::Milliseconds(50), HistoryFailMode::kClosed);
  history_.Hold();
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < 3; ++i) {
    *request.add_invitations() = GoodInvitation();
    request.mutable_invitations(i)->set_invitation_id("inv-" + std::to_string(i));
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.verdicts_size(), 3);
  for (const v1::Verdict& verdict : response.verdicts()) {
    EXPECT_TRUE(verdict.degraded());
    EXPECT_EQ(verdict.decision(), v1::DECISION_DEFER);
  }
  ASSERT_TRUE(history_.WaitForCalls(1, absl::Seconds(10)));
  history_.Release();
}

// The point of the callback API: calls waiting for history hold no thread. With the sync API
// each of them held one of the server's threads (64 calls: 64 more threads).
TEST_F(EvaluatorWithHistoryGrpcTest, CallsWaitingForHistoryDoNotTakeAThreadEach) {
  Start(absl::Seconds(30));
  // One call answered first, so that the threads gRPC starts lazily exist before counting.
  v1::EvaluateResponse warm_up;
  ASSERT_TRUE(Evaluate(GoodInvitation(), &warm_up).ok());
  const int before = ThreadCount();

  history_.Hold();
  constexpr int kCalls = 64;
  struct Call {
    grpc::ClientContext context;
    v1::EvaluateRequest request;
    v1::EvaluateResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  std::mutex mutex;
  std::condition_variable finished;
  int done = 0;  // guarded by mutex
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    *call->request.mutable_invitation() = GoodInvitation();
    call->request.mutable_invitation()->set_invitation_id("inv-c" + std::to_string(i));
    Call* raw = call.get();
    calls.push_back(std::move(call));
    stub_->async()->Evaluate(&raw->context, &raw->request, &raw->response,
                             [&, raw](grpc::Status status) {
                               std::lock_guard<std::mutex> lock(mutex);
                               raw->status = std::move(status);
                               ++done;
                               finished.notify_all();
                             });
  }
  // Every call is inside the evaluator, waiting for history. (No ASSERT until every call has
  // finished: the callbacks use this frame.)
  EXPECT_TRUE(history_.WaitForCalls(1 + kCalls, absl::Seconds(30)));
  const int during = ThreadCount();
  std::cout << "[figures] threads before " << before << ", with " << kCalls
            << " calls waiting for history " << during << "\n";
  EXPECT_LT(during - before, kCalls / 4);

  history_.Release();
  std::unique_lock<std::mutex> lock(mutex);
  if (!finished.wait_for(lock, std::chrono::seconds(30), [&] { return done == kCalls; })) {
    ADD_FAILURE() << "only " << done << " of " << kCalls << " calls finished";
    for (const std::unique_ptr<Call>& call : calls) call->context.TryCancel();
    finished.wait(lock, [&] { return done == kCalls; });  // cancelled calls end at once
  }
  for (const std::unique_ptr<Call>& call : calls) {
    EXPECT_TRUE(call->status.ok()) << call->status.error_message();
    EXPECT_FALSE(call->response.verdict().degraded());
    EXPECT_EQ(call->response.verdict().invitation_id(), call->request.invitation().invitation_id());
  }
}

// Verdicts recorded in `registry`'s etiquette_evaluator_decisions_total.
double DecisionsRecorded(prometheus::Registry& registry) {
  double total = 0;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != "etiquette_evaluator_decisions_total") continue;
    for (const prometheus::ClientMetric& metric : family.metric) total += metric.counter.value;
  }
  return total;
}

// The caller's deadline reaches the batch: history answers after it has passed, and the server
// judges none of the invitations (it finishes the call CANCELLED, to a caller that has gone).
// Without the call's cancellation passed in, it judged and recorded all three.
TEST_F(EvaluatorWithHistoryGrpcTest, ABatchWhoseCallerHasGoneIsNotJudged) {
  Start(absl::Seconds(30));
  auto registry = std::make_shared<prometheus::Registry>();
  EvaluatorMetrics metrics(registry);
  server_.reset();  // the same evaluator, served with metrics
  service_ = std::make_unique<EvaluatorService>(*evaluator_, &metrics);
  absl::StatusOr<std::unique_ptr<RunningServer>> started = StartGrpcServer(
      "127.0.0.1:0", {service_.get()}, {v1::InvitationEvaluator::service_full_name()});
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = std::move(*started);
  stub_ = v1::InvitationEvaluator::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));

  history_.Hold();
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < 3; ++i) {
    *request.add_invitations() = GoodInvitation();
    request.mutable_invitations(i)->set_invitation_id("inv-" + std::to_string(i));
  }
  grpc::ClientContext context;
  const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(300);
  context.set_deadline(deadline);
  v1::EvaluateBatchResponse response;
  const grpc::Status status = stub_->EvaluateBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(history_.WaitForCalls(1, absl::Seconds(10)));
  // The server's deadline is the client's plus the request's transit (microseconds on
  // loopback): one second later it has passed on the server too.
  while (std::chrono::system_clock::now() < deadline + std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  history_.Release();  // history answers; the evaluator finds its caller gone
  server_.reset();     // waits for the call to be finished
  EXPECT_EQ(DecisionsRecorded(*registry), 0);
}

}  // namespace
}  // namespace etiquette
