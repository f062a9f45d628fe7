#pragma once

// The Lua scripts of RedisHistoryStore and the layout of the keys they keep (see
// redis_history_store.h for the contract of each operation). The scripts are history/lua/*.lua,
// embedded at build time (history/CMakeLists.txt). The C++ side builds each script's KEYS with
// SenderKeys and its ARGV as documented at the top of each .lua file (history/lua/prelude.lua:
// the ARGV every script shares), and parses the facts reply (kFactsSize items).
//
// Key layout. Keys of one sender S, all under the hash tag {S} so that every script touches one
// slot (on Redis Cluster, one node). Times are integer Unix milliseconds. Invitation ids and
// recipient keys are stored by their short names: the first 8 bytes of their SHA-1 (64 bits, so
// that two ids of one sender never meet in practice). Below, I is an invitation's short name, R a
// recipient key's, T6 a time as 6 bytes big-endian.
//
//   etq:{S}:h      HASH, a listpack for all but big senders (~27 bytes an invitation):
//                  I      -> flags(1) T6 R: every invitation the store knows. flags: the code of
//                            its recorded response (0 = none yet, else the v1::InvitationResponse
//                            number) + 8 if recorded as sent (T6 = sent_at; else T6 = the latest
//                            responded_at: known only from a response, not counted as sent)
//                            + 16 if it holds its pair's pending mark (small mode).
//                  "p" R  -> I: the pair's pending mark, held by I, where it is not a flag bit:
//                            always in big mode; in small mode once I was pruned unanswered.
//                  "w" R  -> T6: the pair's latest WITHDRAWN responded_at (its cool-down).
//                  "c"    -> small mode: the window counts as of the last write, for reads, with
//                            how long they hold (see cache() in the .cc).
//                  "m"    -> "1": the sender is in big mode; never unset.
//   etq:{S}:t      ZSET, big mode only: the time index of h, in four score regions of 2^45 ms:
//                  I -> responded_at (known only from a response), I -> 2^45 + sent_at (sent),
//                  "a" I -> 2^46 + sent_at (sent and accepted), "w" R -> 3 * 2^45 + the
//                  withdrawal. Window counts are ZCOUNTs; pruning is by score range.
//   etq:{S}:r      ZSET  R -> latest report time, + 2^45 if the recipient ever chose
//                  REPORTED_SPAM: reporters, kept for ReporterRetention (history/standing.h)
//                  after their latest report. A window's reports and spam reports are two
//                  ZCOUNTs.
//   etq:{S}:state  HASH  o (offense_count), rs / re (latest restriction start / end, re "inf"
//                  when indefinite), cs (clean slate), why (reason). Only for senders ever
//                  restricted or released.
//   etq:{S}:x      ZSET  R -> the latest write about the pair: the recipients S may hold data
//                  about, kept 2 * IndexRetention (so that it outlives every index entry naming
//                  S): ForgetMember(S) removes S from their indexes.
//   etq:{S}:n      STRING of 14-byte entries, one per note fingerprint recorded with an
//                  invitation (RecordInvitation's note_fingerprint): the fingerprint (8 bytes,
//                  big-endian) and the invitation's sent_at (T6), in the order recorded. Only
//                  entries with sent_at inside the volume window: a write drops the others, then
//                  the earliest past policy.max_note_fingerprints; PX until its newest entry
//                  leaves the window (it expires with the window). No member id, no note text:
//                  ForgetMember(S) UNLINKs it, a recipient's erasure and key rotation leave it.
//                  GetFacts with a fingerprint counts the near-identical ones (get_facts.lua).
//
// Keys of one recipient (its key's short name R, in hex: its own slot; K the id of the HMAC key
// that made R, RecipientHasher):
//   etq:{r:K:<R>}:s  ZSET  sender id -> the latest write about the pair: the senders that may hold
//                  data about the recipient, kept IndexRetention (2 * ReporterRetention + the
//                  longest window: past the longest any pair data can stay, TTL and pruning
//                  together). On one Redis the write scripts keep it in the same EVALSHA (track()
//                  in prelude_writes.lua); on a cluster it is in another slot, and the store writes
//                  it first, in a round trip of its own (index.lua).
//
// Small and big mode. A sender starts small: h alone, and what needs all its invitations (the
// window counts and a pair's flag-bit mark for facts; pruning) takes one pass over h, of at most
// kSmallFields fields (plus the few a write adds); a read whose counts the last write left in
// "c" skips it. The write that takes h past kSmallFields fields builds t and the "p" marks from
// h, once, and sets "m": from then on facts are ZCOUNTs and lookups whatever the sender's size,
// and writes keep t up to date. Both modes answer the same.
//
// TTLs, refreshed by every write that records something: policy.retention on h and t, except r
// (PEXPIREAT its newest report + ReporterRetention, set by reports only: reporters expire on
// their own clock; a read counts an entry as reported only inside that retention) and state
// while it holds an indefinite restriction (no TTL: such a restriction lasts until an operator
// releases it, and a TTL would let a sender who keeps quiet walk out of jail). Every write first
// prunes what no window can count any more: invitations whose sent_at (for those known only from a
// response: latest responded_at) is at or before now - (longest window), with their index
// entries and the pending marks they hold (a pair stays pending while its latest invitation is
// kept); accepted entries outside the acceptance window; withdrawals outside the cool-down;
// reporters whose latest report is at or before now - ReporterRetention. Keys left empty
// disappear. Then the cap (StorePolicy::max_records_per_sender, ARGV 10): a big-mode write that
// takes the sender past it drops the oldest invitations and withdrawals (with their index
// entries and marks), a report that takes r past it the oldest reporter; so h holds at most
// about 2 * cap fields (records, marks, withdrawals), t as many, r cap. Forget UNLINKs
// (forget.lua), and ForgetMember removes a recipient from each sender of its index
// (forget_pair.lua: what is counted stays, anonymous).
//
// Key rotation (docs/key-rotation.md): with several HMAC keys, the scripts get the recipient's
// short name under each (ARGV 6, the writing key's first). Reads look under all of them; a write
// first moves the pair's data under the older names to the first (migrate(), rekey() in
// prelude_writes.lua: records, marks, cool-down, reporter entry, x) and takes the sender out of
// the recipient's indexes under the older keys (KEYS 8... on one Redis; the store's first round
// in a cluster); rekey.lua does the same for the operator's pass.
//
// The admin audit trail (ListAdminActions), one key for the whole deployment:
//   etq:{admin-audit}:log  STREAM, one entry an admin action (fields t: its time in ms, admin,
//                  tok: the token's ref, act: the action, s: the sender a release names, why:
//                  the operator's reason, ref: the reason's ref, tk: the ticket, out: the
//                  outcome, n: records removed, ra: a ForgetMember's count of the entries it
//                  deleted because they named the erased member in s). No TTL: each
//                  append (audit_append.lua) trims it to policy.admin_audit_max_entries
//                  (exact MAXLEN) and drops entries older than policy.admin_audit_retention
//                  (XTRIM MINID). Entry ids are <the service's time in ms>-<seq>, never going
//                  back (a time before the last entry's takes its ms and the next seq). On Redis
//                  Cluster the hash tag puts it on one node: admin calls are a handful a day, so
//                  neither its load nor its size (about 300 bytes an entry, 3 MB at the default
//                  cap) matters, and one stream keeps one order. Written in a round trip of its own
//                  after the action (the entry holds the action's outcome, and on a cluster the
//                  stream is in another slot).
//
// Earlier layouts (etq:{S}:inv, :sent, :acc, :resp, :wd, :rep) are not read: the data they hold
// is ignored and expires with their TTLs (pre-release, no migration). etq:{S}:state kept its
// name and format.

#include <string>
#include <vector>

namespace etiquette::redis_scripts {

// Items in the facts reply of every script.
inline constexpr int kFactsSize = 13;
// Keys of one sender, all under the hash tag {sender_id}: KEYS of every script.
inline constexpr int kKeysPerSender = 6;
// Fields of h past which a sender goes to big mode.
inline constexpr int kSmallFields = 48;

struct ScriptText {
  const char* name;    // for logs and metrics, e.g. "record_invitation"
  std::string source;  // the Lua text
  std::string sha;     // its SHA-1, hex, as EVALSHA wants it
};

// Every script, in the order of RedisHistoryStore::Script: record_invitation, record_response,
// get_facts, release, forget, forget_pair, index, rekey, audit_append, audit_list. Hashed on
// first use.
const std::vector<ScriptText>& Scripts();

// The keys of `sender_id`, in KEYS order (h, t, r, state, x, n); the first one decides the
// sender's cluster slot.
std::vector<std::string> SenderKeys(const std::string& sender_id);

// The short name of an id or a recipient key, as the scripts take it: the first 8 bytes of its
// SHA-1, as 16 hex digits.
std::string ShortName(const std::string& id);
// Bytes as lower-case hex.
std::string HexOf(const std::string& bytes);
// The index of the recipient whose key has the short name `short_name_hex`:
// etq:{r:<short_name_hex>}:s for a key with no id, else etq:{r:<key_id>:<short_name_hex>}:s
// (RecipientHasher::KeyId: what is still under an old key is found by name).
std::string IndexKey(const std::string& short_name_hex);
std::string IndexKey(const std::string& key_id, const std::string& short_name_hex);

// The key of the admin audit trail.
inline constexpr char kAdminAuditKey[] = "etq:{admin-audit}:log";

// (A read-only script that decodes h, for tests and operators: tests/support/lua/.)

}  // namespace etiquette::redis_scripts
