"""Near-duplicate questions: reworded copies of another question in the bank.

Two questions are near-duplicates when their wording is similar (rapidfuzz's token-sort
ratio over the normalised words) AND their distinctive words are similar too (the ratio
over the words that few questions of the bank use). The second test keeps apart questions
built on the same frame, such as "Tell us about a time when you had to manage a project
budget" and "... a product launch", which differ only in the words that matter.

Only pairs that share one of their rarest words or word pairs are compared (blocking), each
block in rapidfuzz's C loop, so the work grows with the bank, not with its square. The index
of counts, blocks and scored pairs is kept between runs (``memo``): after an edit, only the
edited questions and the blocks their words touch are rescored, with the same answer as a
run from scratch.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Union

from qtool.lint.rule import DUMP, STARTED, Rule, quote
from qtool.lint.rules._bank import role_of, words
from qtool.lint.rules._columns import Column, Texts, packed, row_of
from qtool.lint.rules.duplicate_question import question_keys, scope_option
from qtool.model import Position, Problem, Question, Severity
from qtool.workers import spawned

#: Words that never make a question distinctive, however few questions of a small bank use them.
FUNCTION_WORDS = frozenset("""
a about after all also am an and any are as at be been before being but by can could did do does doing
during each for from had has have having he her him his how i if in into is it its me my no not of on
once or other our out over own she should so some such than that the their them then there these they
this those through to too under until up very was we were what when where which while who whom why will
with would you your yours us tell time
""".split())
#: A word is common (not distinctive) when it is a function word, or more than this share of the bank's questions use it ...
COMMON_SHARE = 0.15
#: ... or, in a small bank, more than this many questions.
COMMON_MIN = 3
#: Each question is compared with those sharing one of its this-many rarest words (used at least twice).
BLOCK_KEYS = 4
#: Words used by more questions than this do not form blocks (they would compare too many pairs).
MAX_BLOCK = 256
#: From this many comparisons (a first run over some 50,000 questions), a helper interpreter scores a share of them.
SHARED_FROM = 2_000_000
#: The helper's share of that work: a little under half, as it first starts and reads its share.
HELPER_SHARE = 0.45


class NearDuplicate(Rule):
    name = "near-duplicate"
    description = "no question is a light rewording of another (rapidfuzz similarity at or above a threshold)"
    examples = ('question: How do you prioritise a backlog?',
                'question: How would you go about prioritising the backlog?   # beside the one above')
    default_severity = Severity.WARNING
    bank_wide = True
    keeps_memo = True
    #: ``threshold``: the similarity (0-100) from which two questions count as near-duplicates.
    #: ``scope``: "bank" or "role", as for duplicate-question.
    options = {"threshold": 75, "scope": "bank"}

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        if not 50 <= options["threshold"] <= 100:
            return f"'threshold' must be between 50 and 100, got {options['threshold']}"
        return scope_option(options)

    def reads(self, options: Mapping[str, Any]) -> tuple[str, ...]:
        return question_keys(options)

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        return self._problems(near_duplicates(questions, options["threshold"], options["scope"] == "role", report_on))

    def check_bank_with_memo(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str],
                             memo: dict[str, Any], changed: Collection[str] | None) -> Iterator[Problem]:
        return self._problems(near_duplicates(questions, options["threshold"], options["scope"] == "role", report_on,
                                              memo, changed))

    def begin(self, options: Mapping[str, Any]) -> _Index:
        """A fresh index to ``add`` each question to as the scan reads it: the bank stage then only picks blocks and scores them."""
        return _Index(options["threshold"], options["scope"] == "role")

    def rejudge(self, earlier: Sequence[Question], questions: Sequence[Question], options: Mapping[str, Any],
                report_on: set[str], memo: dict[str, Any], behind: Collection[str],
                changed: Collection[str]) -> tuple[set[str], Iterator[Problem]] | None:
        """Only the questions whose pairs, or whose distinctive words, an edit of ``changed`` may change are judged again."""
        index = _Index.resume(memo, options["threshold"], options["scope"] == "role") if memo else None
        if index is None:
            return None
        try:
            if behind:
                index.update({q.path: q for q in earlier}, behind, keep_all=True, report_on=report_on)
            touched = index.edit({q.path: q for q in questions}, changed)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):  # a memo of the wrong shape
            return None
        memo.clear()
        memo[DUMP] = index.dump
        return touched, self._problems(index.matches(report_on & touched))

    def _problems(self, matches: list[Match]) -> Iterator[Problem]:
        for match in matches:
            yield self.at(match.path, match.where, f"question is {match.score:.0f}% similar to {match.other} "
                          f"({match.shown}): merge the two, or reword one so the difference is clear")


class Match(NamedTuple):
    """One side of a near-duplicate pair: the file reported on, where its question is, and the other file."""

    path: str
    where: Position
    other: str
    #: The other file's question, quoted for a message.
    shown: str
    score: float


def near_duplicates(questions: Sequence[Question], threshold: float, by_role: bool, report_on: set[str],
                    memo: dict[str, Any] | None = None, changed: Collection[str] | None = None) -> list[Match]:
    """A Match for each near-duplicate pair, once per side in ``report_on``, sorted by paths.

    With ``memo`` (what this function left there in an earlier run) and ``changed`` (the paths
    that may differ since, deleted ones too), only those questions and the blocks they touch are
    rescored: the answer is the same as from an empty memo. ``memo`` is then updated in place.
    ``questions`` then needs to hold only the changed ones: the index keeps what its messages say
    about the others.
    """
    by_path = {q.path: q for q in questions}
    started = memo.pop(STARTED, None) if memo is not None else None
    index = _Index.resume(memo, threshold, by_role) if memo and changed is not None else None
    try:
        if index is not None:
            index.update(by_path, changed, keep_all=True, report_on=report_on)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):  # a memo of the wrong shape
        index = None
    if index is None and isinstance(started, _Index) and started.fed(by_path, threshold, by_role):
        index = started
        index.finish(keep_all=memo is not None, report_on=report_on)
    if index is None:
        index = _Index(threshold, by_role)
        index.update(by_path, None, keep_all=memo is not None, report_on=report_on)
    if memo is not None:
        memo.clear()
        memo.update(index.dump())
    return index.matches(report_on)


Slots = Union["array[int]", bytes, list[int]]


class _Index:
    """A bank's near-duplicate index: feature counts, each question's blocks, and the pairs each block scored.

    Questions are numbered (slots), lists of slots kept as machine ints, and what is kept per slot
    as columns (``Texts``) whose rows become strings only when read: the index of a big bank loads
    from the cache in milliseconds, and an edit reads only the slots it touches.
    """

    VERSION = 4

    def __init__(self, threshold: float, by_role: bool) -> None:
        self.threshold, self.by_role = threshold, by_role
        self.paths: Column = []  # slot -> path ("" for a free slot)
        self.tokens: Column = []  # slot -> its words, space-separated
        self.roles: Column = []  # slot -> its role (blocks are per role with scope "role")
        self.chosen: Column = []  # slot -> the blocks it is in, one per line (see ``_blocks_of``)
        self.where = array("i")  # slot -> where its question is in its file, as line and column
        self.shown: Column = []  # slot -> its question as a message quotes it
        self.free: list[int] = []  # the free slots, in order
        self.count: dict[str, int] = {}  # feature -> how many questions have it
        self.having: dict[str, Slots] = {}  # feature -> the questions that have it
        self.blocks: dict[str, Slots] = {}  # block -> its questions
        self.pairs: dict[str, list[tuple[int, int, float]]] = {}  # block -> its pairs whose wording reaches the threshold
        #: path -> slot: every path's in a fresh index; in a resumed one, those looked up so far (``_slot_of``).
        self.slot: dict[str, int] = {}
        self._sorted: dict[int, str] = {}
        #: The lists of slots this run may have changed, as (attribute, key); None: any of them (a fresh index).
        self._loose: set[tuple[str, str]] | None = None
        #: While ``edit`` runs: the paths of both sides of every pair dropped or scored.
        self._paired: set[str] | None = None
        #: While a fresh index takes questions (``add``): each feature's shared string and questions,
        #: each question's features, and the path of every question offered.
        self._entries: dict[str, tuple[str, list[int]]] = {}
        self._kept: list[tuple[str, ...]] = []
        self._offered: list[str] = []

    @classmethod
    def resume(cls, memo: Mapping[str, Any], threshold: float, by_role: bool) -> _Index | None:
        """The index kept in ``memo``, or None when it was made by other code or options."""
        if memo.get("version") != cls.VERSION or memo.get("threshold") != threshold or memo.get("by_role") != by_role:
            return None
        index = cls(threshold, by_role)
        try:
            for name in ("paths", "tokens", "roles", "chosen", "shown"):
                setattr(index, name, Texts.unpacked(memo.get(name)))
            index.where.frombytes(memo["where"])
        except (TypeError, ValueError, KeyError):
            return None
        slots = len(index.paths)
        if any(len(column) != slots for column in (index.tokens, index.roles, index.chosen, index.shown)) \
                or len(index.where) != 2 * slots or not isinstance(memo.get("free"), list):
            return None
        index.free = memo["free"]
        for name in ("count", "having", "blocks", "pairs"):
            if not isinstance(memo.get(name), dict):
                return None
            setattr(index, name, memo[name])
        index._loose = set()
        return index

    def dump(self) -> dict[str, Any]:
        """The index as plain values (for the check cache); lists of slots are packed as bytes in place.

        A resumed index packs only the lists it touched: a big bank has hundreds of thousands.
        """
        if self._loose is None:
            for lists in (self.having, self.blocks):
                for key, value in lists.items():
                    if not isinstance(value, bytes):
                        lists[key] = array("i", value).tobytes()
        else:
            for name, key in self._loose:
                lists = getattr(self, name)
                value = lists.get(key)
                if isinstance(value, array):
                    lists[key] = value.tobytes()
            self._loose.clear()
        return {"version": self.VERSION, "threshold": self.threshold, "by_role": self.by_role,
                "paths": packed(self.paths), "tokens": packed(self.tokens), "roles": packed(self.roles),
                "chosen": packed(self.chosen), "where": self.where.tobytes(), "shown": packed(self.shown),
                "free": self.free, "count": self.count, "having": self.having, "blocks": self.blocks, "pairs": self.pairs}

    def _slot_of(self, path: str) -> int | None:
        """The slot of ``path``; None when it has none. A resumed index finds it in its paths column."""
        return row_of(self.paths, self.slot, path)

    def _blocks_of(self, slot: int) -> tuple[str, ...]:
        """The blocks ``slot`` is in (no block name holds a line break: see ``_prefix``)."""
        blocks = self.chosen[slot]
        return tuple(blocks.split("\n")) if blocks else ()

    def edit(self, by_path: Mapping[str, Question], changed: Collection[str]) -> set[str]:
        """``update`` for an edit of ``changed``, and the paths whose matches it may change.

        Those are the two sides of every pair dropped or scored, the files paired with a changed
        one (whose message quotes it), and the files paired while holding a word that became
        common or rare (the edit's own words, or any word when the bank's size moves the line).
        """
        common = self._common()
        self._paired = paired = set(changed)
        try:
            before = self.update(by_path, changed, keep_all=True, report_on=set())
        finally:
            self._paired = None
        now = self._common()
        low, high = sorted((common, now))
        flipped = {f for f, n in before.items() if (n <= common) != (self.count.get(f, 0) <= now)}
        if low != high:
            flipped.update(f for f, n in self.count.items() if low < n <= high)
        slots = {slot for path in changed if (slot := self._slot_of(path)) is not None}
        slots.update(s for f in flipped if " " not in f and f not in FUNCTION_WORDS and f in self.having
                     for s in _ints(self.having, f))  # read only: not marked for repacking
        for slot in slots:
            for block in self._blocks_of(slot):
                for a, b, _ in self.pairs.get(block, ()):
                    if a == slot or b == slot:
                        paired.update((self._path(a), self._path(b)))
        paired.discard("")
        return paired

    def _path(self, slot: int) -> str:
        """The path in ``slot``, remembered as that slot's for ``_slot_of`` (a resumed index is later asked about the paths it names)."""
        path = self.paths[slot]
        if path:
            self.slot[path] = slot
        return path

    def _common(self) -> float:
        """The number of questions above which a word is common (not distinctive) in this bank."""
        return max(COMMON_MIN, COMMON_SHARE * (len(self.paths) - len(self.free)))

    def add(self, q: Question) -> None:
        """Take one more question into a fresh index; ``finish`` then picks the blocks and scores them."""
        self._offered.append(q.path)
        tokens = words(q.question) if q.question else ()
        if not tokens or q.path in self.slot:
            return
        text = " ".join(tokens)
        slot = len(self.paths)
        self.slot[q.path] = slot
        self.paths.append(q.path)
        self.tokens.append(text)
        self.roles.append(role_of(q) if self.by_role else "")
        self.chosen.append("")
        self.where.extend(q.pos("question"))
        self.shown.append(quote(q.question or "", 70))
        # Each question's features are kept for _rechoose as tuples of one shared string per feature:
        # a 100,000-question bank's then cost about 30 MB (sets of their own strings cost ten times that).
        entries, own = self._entries, []
        get = entries.get
        for feature in _features(tokens):
            entry = get(feature)
            if entry is None:
                entries[feature] = entry = (feature, [slot])
            else:
                entry[1].append(slot)
            own.append(entry[0])
        self._kept.append(tuple(own))

    def fed(self, by_path: Mapping[str, Question], threshold: float, by_role: bool) -> bool:
        """Whether this index was begun with these options and given exactly these questions, in this order, and not finished."""
        return (self.threshold, self.by_role) == (threshold, by_role) and not self.count and self._offered == list(by_path)

    def finish(self, *, keep_all: bool, report_on: set[str]) -> None:
        """Count the features of the questions ``add`` took, pick each one's blocks and score them (see ``update``)."""
        entries, kept = self._entries, self._kept
        self._entries, self._kept, self._offered = {}, [], []
        self.having = dict(entries.values())
        self.count = {feature: len(members) for feature, members in entries.values()}
        del entries
        slots = range(len(self.paths))
        self._rechoose(slots, set(slots), keep_all, report_on, kept)

    def update(self, by_path: Mapping[str, Question], changed: Collection[str] | None, *, keep_all: bool,
               report_on: set[str]) -> dict[str, int]:
        """Bring the index to the bank ``by_path``; ``changed`` None means every question is new (the index is fresh).

        Otherwise only the ``changed`` paths are looked up in ``by_path``: one missing there is deleted.
        Without ``keep_all`` (nothing is kept for a later run), blocks holding no file to report
        on are not scored. The features whose count changed are returned with their count before.
        """
        if changed is None:
            for question in by_path.values():
                self.add(question)
            self.finish(keep_all=keep_all, report_on=report_on)
            return {}
        free = self.free
        edited: list[int] = []
        before: dict[str, int] = {}  # features whose count changed -> their count before
        for path in set(changed):
            q = by_path.get(path)
            text = " ".join(words(q.question)) if q is not None and q.question else ""
            role = role_of(q) if q is not None and self.by_role else ""
            slot = self._slot_of(path)
            if slot is None:
                if not text:
                    continue
                if free:
                    slot = free.pop()
                else:
                    slot = len(self.paths)
                    self.paths.append("")
                    self.tokens.append("")
                    self.roles.append("")
                    self.chosen.append("")
                    self.where.extend((1, 1))
                    self.shown.append("")
                self.paths[slot] = path
                self.slot[path] = slot
            if q is not None and text:
                self.where[2 * slot:2 * slot + 2] = array("i", q.pos("question"))
                self.shown[slot] = quote(q.question or "", 70)
            if (self.tokens[slot], self.roles[slot]) == (text, role):
                continue
            edited.append(slot)
            for feature in _features(self.tokens[slot].split()) if self.tokens[slot] else ():
                before.setdefault(feature, self.count[feature])
                self.count[feature] -= 1
                self._slots("having", feature).remove(slot)
            for feature in _features(text.split()) if text else ():
                before.setdefault(feature, self.count.get(feature, 0))
                self.count[feature] = self.count.get(feature, 0) + 1
                self.having.setdefault(feature, array("i"))
                self._slots("having", feature).append(slot)
            self.tokens[slot], self.roles[slot] = text, role
            self._sorted.pop(slot, None)
        # A question's blocks change only when the count of one of its features enters, leaves or moves within the blocking range.
        moved = [f for f, n in before.items() if _blocks(n) or _blocks(self.count[f])]
        affected = set(edited).union(*(self._slots("having", f) for f in moved if f in self.having))
        for feature in [f for f in before if self.count[f] == 0]:
            del self.count[feature], self.having[feature]
        self._rechoose(affected, set(edited), keep_all, report_on)
        for slot in edited:
            if not self.tokens[slot]:
                del self.slot[self.paths[slot]]
                self.paths[slot] = self.roles[slot] = self.shown[slot] = ""
                free.append(slot)
        free.sort()
        return before

    def _rechoose(self, affected: Iterable[int], edited: set[int], keep_all: bool, report_on: set[str],
                  features: Sequence[tuple[str, ...]] | None = None) -> None:
        """Re-pick the blocks of ``affected`` questions, then rescore the pairs of blocks that gained or lost one.

        ``features`` holds each question's features by slot when the caller has them (else they are worked out).
        """
        added: defaultdict[str, list[int]] = defaultdict(list)
        left: defaultdict[str, set[int]] = defaultdict(set)
        count, blocks, most = self.count, self.blocks, MAX_BLOCK
        for slot in affected:
            text = self.tokens[slot]
            new: tuple[str, ...] = ()
            if text:
                own = features[slot] if features is not None else _features(text.split())
                rare = sorted([(n, f) for f in own if 2 <= (n := count[f]) <= most])
                if self.by_role:
                    role = _prefix(self.roles[slot])
                    new = tuple(role + f for _, f in rare[:BLOCK_KEYS])
                else:
                    new = tuple(f for _, f in rare[:BLOCK_KEYS])
            old = self._blocks_of(slot)
            stays: Collection[str] = ()
            if old:
                stays = set() if slot in edited else set(old) & set(new)
                for block in old:
                    if block not in stays:
                        self._slots("blocks", block).remove(slot)
                        left[block].add(slot)
            for block in new:
                if block not in stays:
                    if block in blocks:
                        self._slots("blocks", block).append(slot)
                    else:
                        blocks[block] = array("i", (slot,))
                    added[block].append(slot)
            self.chosen[slot] = "\n".join(new)
        # Every block is settled first and the newcomers of all scored in one go, which a big bank shares with a helper.
        settled: list[tuple[str, list[int], list[tuple[int, int, float]], bool]] = []  # (block, members, pairs kept, scored?)
        jobs: list[Job] = []
        for block in (left.keys() | added.keys()) if left else added:
            members = list(self._slots("blocks", block)) if block in blocks else []
            pairs = self.pairs.pop(block, [])
            if gone := left.get(block):
                if self._paired is not None:
                    self._paired.update(self._path(m) for a, b, _ in pairs if a in gone or b in gone for m in (a, b))
                pairs = [p for p in pairs if p[0] not in gone and p[1] not in gone]
            newcomers = added.get(block, [])
            scoring = bool(newcomers) and len(members) > 1 and (keep_all or any(self.paths[m] in report_on for m in members))
            if scoring:
                # Each newcomer is compared with the members before it: those scored in earlier runs, then the earlier newcomers.
                arriving = set(newcomers)
                members = [m for m in members if m not in arriving] + newcomers
                jobs.append(([self._sorted_text(m) for m in members], max(len(members) - len(newcomers), 1), members))
            settled.append((block, members, pairs, scoring))
        found = iter(score_all(jobs, self.threshold))
        for block, members, pairs, scoring in settled:
            if scoring:
                scored = next(found)
                if self._paired is not None:
                    self._paired.update(self._path(m) for a, b, _ in scored for m in (a, b))
                pairs += scored
            if pairs:
                self.pairs[block] = pairs
            if not members:
                blocks.pop(block, None)

    def _slots(self, name: str, key: str) -> array[int]:
        """The slots under ``key`` of the ``having`` or ``blocks`` lists, as a mutable array (see ``_ints``)."""
        if self._loose is not None:
            self._loose.add((name, key))
        return _ints(getattr(self, name), key)

    def _sorted_text(self, slot: int) -> str:
        text = self._sorted.get(slot)
        if text is None:
            text = self._sorted[slot] = " ".join(sorted(self.tokens[slot].split()))
        return text

    def matches(self, report_on: set[str]) -> list[Match]:
        """A Match for each pair whose distinctive words are similar too, once per side in ``report_on``."""
        from rapidfuzz import fuzz, process

        count, tokens, paths, threshold = self.count, self.tokens, self.paths, self.threshold
        lists: Iterable[list[tuple[int, int, float]]] = self.pairs.values()
        if len(report_on) * 8 < len(self.paths) - len(self.free):  # a few files: only their own blocks' pairs
            lists = [self.pairs[block] for path in report_on if (slot := self._slot_of(path)) is not None
                     for block in self._blocks_of(slot) if block in self.pairs]
        # Every path asked about (a fresh index knows them all): then no pair needs its paths looked up.
        every = isinstance(self.paths, list) and self.slot.keys() <= report_on
        # Each pair once, under its lower slot: {a: {b: wording}}, so each a's distinctive words are scored in one call.
        candidates: defaultdict[int, dict[int, float]] = defaultdict(dict)
        for pairs in lists:
            for a, b, wording in pairs:
                if every or paths[a] in report_on or paths[b] in report_on:
                    if a < b:
                        candidates[a][b] = wording
                    else:
                        candidates[b][a] = wording
        common = self._common()
        # Each candidate's distinctive words: those that few questions of the bank use.
        distinct = {slot: " ".join([t for t in tokens[slot].split() if t not in FUNCTION_WORDS and count[t] <= common])
                    for slot in set(candidates).union(*candidates.values())}
        where, shown = self.where, self.shown
        out = []
        for a, others in candidates.items():
            rare_a = distinct[a]
            if rare_a:  # a partner without distinctive words scores 0, below the threshold
                seconds = list(others)
                found = process.extract(rare_a, [distinct[b] for b in seconds], scorer=fuzz.ratio,
                                        score_cutoff=threshold, limit=None)
                hits = [(seconds[i], min(others[seconds[i]], ratio)) for _, ratio, i in found]
            else:  # only partners without distinctive words either match, on their wording alone
                hits = [(b, wording) for b, wording in others.items() if not distinct[b]]
            for b, score in hits:
                if tokens[a] == tokens[b]:
                    continue
                if every or paths[a] in report_on:
                    out.append(Match(paths[a], (where[2 * a], where[2 * a + 1]), paths[b], shown[b], score))
                if every or paths[b] in report_on:
                    out.append(Match(paths[b], (where[2 * b], where[2 * b + 1]), paths[a], shown[a], score))
        out.sort()
        return out


Job = tuple[list[str], int, list[int]]
"""A block to score: its members' sorted wordings, the position of its first newcomer (compared with every member
before it), and the members' slots."""


def score_all(jobs: Sequence[Job], threshold: float) -> list[list[tuple[int, int, float]]]:
    """``score_blocks`` of every job; from ``SHARED_FROM`` comparisons, a helper interpreter scores the first jobs beside this process."""
    # A job's cost: its comparisons, and a call into rapidfuzz for each newcomer (worth some 16 comparisons).
    costs = [(len(texts) * (len(texts) - 1) - start * (start - 1)) // 2 + 16 * (len(texts) - start) for texts, start, _ in jobs]
    total = sum(costs)
    if total >= SHARED_FROM:
        cut, running = 0, 0
        while running < total * HELPER_SHARE:
            running += costs[cut]
            cut += 1
        with spawned(score_blocks, (jobs[:cut], threshold)) as helper:
            if helper is not None:
                rest = score_blocks((jobs[cut:], threshold))
                return helper() + rest
    return score_blocks((jobs, threshold))


def score_blocks(work: tuple[Sequence[Job], float]) -> list[list[tuple[int, int, float]]]:
    """For each job, its pairs (slot, earlier member's slot, wording) whose wording reaches the threshold, in rapidfuzz's C loop."""
    from rapidfuzz import fuzz, process

    jobs, threshold = work
    out = []
    for texts, start, members in jobs:
        found = []
        for position in range(start, len(texts)):
            slot = members[position]
            if position == 1:
                wording = fuzz.ratio(texts[1], texts[0], score_cutoff=threshold)
                if wording:
                    found.append((slot, members[0], wording))
                continue
            for _, wording, offset in process.extract(texts[position], texts[:position], scorer=fuzz.ratio,
                                                      score_cutoff=threshold, limit=None):
                found.append((slot, members[offset], wording))
        out.append(found)
    return out


def _ints(lists: dict[str, Slots], key: str) -> array[int]:
    """The slots under ``key`` as a mutable array (kept as bytes in the cache until first needed)."""
    value = lists[key]
    if not isinstance(value, array):
        value = lists[key] = array("i", value)
    return value


def _prefix(role: str) -> str:
    """What a role's block names begin with: the role, escaped so that no block name holds a line break."""
    return role.replace("\\", "\\\\").replace("\n", "\\n") + "\x1f"


def _blocks(count: int) -> bool:
    """Whether a feature used by ``count`` questions forms a block."""
    return 2 <= count <= MAX_BLOCK


def _features(tokens: Sequence[str]) -> set[str]:
    """A question's blocking keys: its non-function words, and its adjacent word pairs ("a b")."""
    keys = {t for t in tokens if t not in FUNCTION_WORDS}
    keys.update(map(" ".join, zip(tokens, tokens[1:])))
    return keys


RULE = NearDuplicate()
