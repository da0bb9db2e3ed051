"""One parse per message: text + session + KB → ``Understanding`` (DESIGN §5).

How a message is read:

1. **Entities, once.** Services (KB names and aliases, inflected, glued, typos, Latin
   transliteration), dates and times (the temporal parser), a series, phones
   (libphonenumber), the client's name as written, a third party who will attend, pointers
   ("вторую", "последнюю запись").
2. **Clauses.** The message is cut where a new request starts ("сколько стоит хилс | и есть
   ли места в среду", "запишите на сальсу в среду | и на хип-хоп в четверг"); a clause with
   no request word of its own continues the previous one's.
3. **Commands by weighing, not by the first keyword.** Each clause's cue families
   (``nlu.cues``) are weighed together with its entities and the conversation's context
   (the state and what the bot just asked). A lone word ("лучше", "передумал", "отмена")
   decides nothing when the rest of the message says something else: "нет, давайте лучше в
   понедельник" at the summary is a correction of the day; "хотя нет, передумал, давайте
   хип-хоп в четверг" is a new request.

The result is data; the dialogue manager applies it and validates every value against the KB
and the CRM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dancebot.domain.commands import (
    AskFaq,
    AskInfo,
    AskPrice,
    AskSchedule,
    BookingRef,
    BookSeries,
    CancelBooking,
    ChooseOption,
    Command,
    Confirm,
    Correct,
    Decline,
    Deny,
    Entities,
    Greet,
    Handoff,
    HandoffReason,
    InfoTopic,
    Presence,
    ReportLate,
    Reschedule,
    SetSlots,
    StartBooking,
    Thanks,
    Unclear,
    Understanding,
    WhenSpec,
)
from dancebot.domain.fsm import State
from dancebot.domain.session import Session
from dancebot.kb.morphology import fold, lemma, lemmas, morph_analyzer
from dancebot.kb.schema import KnowledgeBase, Service
from dancebot.kb.search import FaqIndex
from dancebot.nlu import references
from dancebot.nlu.cues import Cue, cue_words, cues_of, first_position
from dancebot.nlu.names import find_name
from dancebot.nlu.phone import find_phone, looks_like_phone_attempt, strip_phone
from dancebot.nlu.services import ServiceMatcher
from dancebot.nlu.spelling import Speller, latin_share, transliterate
from dancebot.nlu.temporal import When, lesson_count, parse_delay_minutes, parse_when
from dancebot.nlu.text import normalize
from dancebot.nlu.third_party import extract_attendee

BOOKING_STATES = frozenset(
    {
        State.COLLECTING_GROUP,
        State.COLLECTING_DATETIME,
        State.COLLECTING_CONTACT,
        State.CONFIRM_BOOKING,
    }
)
_REQUEST_CUES = frozenset(
    {
        Cue.BOOK,
        Cue.COME,
        Cue.AVAILABILITY,
        Cue.SCHEDULE,
        Cue.PRICE,
        Cue.CANCEL,
        Cue.MOVE,
        Cue.LATE,
        Cue.ADDRESS,
        Cue.DIRECTIONS,
        Cue.PARKING,
        Cue.CONTACTS,
        Cue.HOURS,
        Cue.SERVICES,
        Cue.BEGINNERS,
        Cue.TEACHERS,
        Cue.TRIAL,
    }
)
_INFO_CUES: tuple[tuple[Cue, InfoTopic], ...] = (
    (Cue.PARKING, InfoTopic.PARKING),
    (Cue.DIRECTIONS, InfoTopic.DIRECTIONS),
    (Cue.ADDRESS, InfoTopic.ADDRESS),
    (Cue.CONTACTS, InfoTopic.CONTACTS),
    (Cue.HOURS, InfoTopic.HOURS),
    (Cue.TEACHERS, InfoTopic.TEACHERS),
    (Cue.COMPARE, InfoTopic.TEACHERS),
    (Cue.BEGINNERS, InfoTopic.BEGINNERS),
    (Cue.SERVICES, InfoTopic.SERVICES),
    (Cue.TRIAL, InfoTopic.TRIAL),
)
# where one request ends and the next begins
_HARD_BREAK = re.compile(
    r"(?<=[!?;\n])\s*|(?<=\.)\s+"
    r"|\s+(?:а (?:ещё|еще|также|так же)|плюс ещё|плюс еще|и ещё|и еще|также)\s+"
)
_SOFT_BREAK = re.compile(r"\s*,\s*(?:(?:а|и|но)\b)?\s*|\s+(?:и|а|но)\s+")
# "субботнюю", "сегодняшнее": a day named as an adjective points at a booking
_DAY_ADJECTIVES: tuple[tuple[str, int], ...] = (
    ("понедельничн", 1), ("вторничн", 2), ("средов", 3), ("четвергов", 4), ("пятничн", 5),
    ("субботн", 6), ("воскресн", 7),
)  # fmt: skip
_RELATIVE_ADJECTIVES: tuple[tuple[str, int], ...] = (
    ("сегодняшн", 0), ("завтрашн", 1), ("послезавтрашн", 2),
)  # fmt: skip
_MOVE_FROM_TO = re.compile(r"\b(?:с|со)\s+(?P<src>.+?)\s+на\s+(?P<dst>.+)$")
_MOVE_TO = re.compile(r"\bна\s+(?P<dst>.+)$")
_RULE_QUESTION = re.compile(
    r"\b(?:за сколько|как (?:можно )?(?:отмен|перен)|можно ли (?:отмен|перен)|правил\w*|"
    r"до скольки можно|сколько (?:часов|времени)|штраф\w*|что (?:делать|будет)|сгора\w*)"
)


@dataclass
class _Clause:
    text: str
    folded: str
    cues: frozenset[Cue]
    services: list[str]
    when: When
    question: bool


@dataclass
class _Context:
    state: State
    asked: str | None
    options: int  # numbered options on screen (lessons or bookings)
    in_booking: bool
    has_draft: bool  # a lesson chosen or a service picked for the booking
    today: date
    vocabulary: frozenset[str] = frozenset()  # the words of the KB's style names and aliases
    faq: FaqIndex | None = None


@dataclass(frozen=True)
class _Reader:
    """What reading needs from one KB, built once: the service matcher (Latin aliases also
    in Cyrillic letters), the speller, the words that are never names."""

    matcher: ServiceMatcher
    speller: Speller
    not_names: frozenset[str]
    faq: FaqIndex
    distinctive: dict[str, str]  # a word of one service's aliases only (lemma → service id)


_READERS: dict[int, tuple[KnowledgeBase, _Reader]] = {}


def reader_for(kb: KnowledgeBase) -> _Reader:
    held = _READERS.get(id(kb))
    if held is None or held[0] is not kb:
        if len(_READERS) > 16:
            _READERS.clear()
        services = [
            s.model_copy(update={"aliases": [*s.aliases, *_cyrillic_aliases(s.name, s.aliases)]})
            for s in kb.services
        ]
        matcher = ServiceMatcher(services)
        # surnames only: a teacher's first name is a client's name as often as not ("к Дмитрию"
        # is read as a teacher by the preposition, in ``find_name``)
        surnames = {normalize(t.name).split()[-1] for t in kb.teachers if " " in t.name}
        teacher_forms = {f for w in surnames for f in lemmas(w)} | _inflections(surnames)
        reader = _Reader(
            matcher,
            Speller(matcher.vocabulary),
            frozenset(teacher_forms),
            FaqIndex(kb),
            _distinctive_words(services),
        )
        held = (kb, reader)
        _READERS[id(kb)] = held
    return held[1]


_GENERIC_WORDS = frozenset(
    "группа танец танцы занятие урок студия соло стиль направление класс для дети".split()  # noqa: SIM905
)


def _distinctive_words(services: list[Service]) -> dict[str, str]:
    """Words of a multi-word alias that belong to one service only ("детская" of "детская
    группа"): enough to name the service when the bot has just asked which one."""
    owners: dict[str, set[str]] = {}
    for service in services:
        for alias in (service.name, *service.aliases):
            for word in normalize(alias).split():
                if len(word) >= 4 and lemma(word) not in _GENERIC_WORDS:
                    owners.setdefault(lemma(word), set()).add(service.id)
    return {word: next(iter(ids)) for word, ids in owners.items() if len(ids) == 1}


def matcher_for(kb: KnowledgeBase) -> ServiceMatcher:
    """One service matcher per knowledge base (built on first use)."""
    return reader_for(kb).matcher


def _cyrillic_aliases(name: str, aliases: list[str]) -> list[str]:
    """ "stretch" → "стретч", "contemp" → "контемп": Latin aliases as clients type them."""
    out = []
    for alias in (name, *aliases):
        folded = normalize(alias)
        if latin_share(folded) > 0.5:
            out.append(transliterate(folded))
    return out


def _inflections(words: set[str]) -> set[str]:
    """The case forms of the teachers' names ("к Дмитрию", "у Ольги")."""
    forms: set[str] = set()
    for word in words:
        for parse in morph_analyzer().parse(word)[:2]:
            forms.update(fold(f.word) for f in parse.lexeme)
    return forms


def asked_of(session: Session) -> str | None:
    """What the bot's last question was, from the session (``slots.awaiting`` when set)."""
    slots = session.slots
    awaiting = slots.awaiting
    if session.state == State.CANCEL_FLOW:
        aliases = {
            "pick": "pick_booking",
            "confirm": "confirm_cancel",
            "confirm_all": "confirm_cancel",
        }
        return aliases.get(awaiting or "", awaiting)
    if awaiting:
        return awaiting
    return {
        State.COLLECTING_GROUP: "service",
        State.COLLECTING_DATETIME: "lesson",
        State.CONFIRM_BOOKING: "confirm",
        State.BROWSING_SCHEDULE: "book",
        State.COLLECTING_CONTACT: (
            "name" if not slots.client_name else ("same_phone" if slots.client_phone else "phone")
        ),
    }.get(session.state)


def understand(text: str, session: Session, kb: KnowledgeBase, today: date) -> Understanding:
    """Every entity in ``text`` and the commands it gives, read in the context of ``session``
    (its state and what the bot just asked)."""
    reader = reader_for(kb)
    matcher = reader.matcher
    ctx = _context(session, today, matcher.vocabulary, reader.faq)
    phone = find_phone(text)
    raw = strip_phone(text) if phone else text
    # what is read: typos mended, Latin typing turned Cyrillic, "не в 19, а в 20" → "в 20"
    rest = _NOT_THIS_BUT.sub(" ", reader.speller.fix(normalize(raw)))
    rest = _NOT_THAT_DAY.sub(" ", rest)
    folded = rest
    clauses = _clauses(rest, matcher, today)
    if clauses:  # "hi", "thank you" typed in Latin letters read before transliteration
        clauses[0].cues |= cues_of(normalize(raw)) & _SMALL_TALK_CUES
    all_cues = frozenset().union(*(c.cues for c in clauses)) if clauses else frozenset()
    services = _services(rest, matcher)
    if not services and ctx.asked == "service":  # "детская" answering "Какое направление?"
        services = _distinctive(rest, reader.distinctive)
        for clause in clauses:
            clause.services = clause.services or list(services)
    when = _drop_ordinal_day(parse_when(rest, today=today), folded, ctx)
    if when.is_empty and (adjective := _adjective_day(folded, today)) is not None:
        when = When(day=adjective)  # "с завтрашнего занятия"
    attendee = extract_attendee(raw)
    attendee_name = attendee.name if attendee else None
    ignore = (
        matcher.vocabulary
        | reader.not_names
        | _day_words(rest)
        | cue_words(rest)
        | ({attendee_name.lower()} if attendee_name else set())
    )
    quiet = not (all_cues & _REQUEST_CUES) and not services and when.is_empty
    name = find_name(
        _NOT_NAME_BUT.sub(" ", raw),
        expecting=ctx.asked in ("name", "contact"),
        ignore=frozenset(ignore),
        quiet=quiet,
        contact=phone is not None or ctx.in_booking or ctx.state == State.SERIAL_BOOKING,
    )
    if name and attendee_name and name.split()[0] == attendee_name.split()[0]:
        name = None
    entities = Entities(
        service_ids=tuple(services),
        when=_spec(when),
        phone=phone,
        phone_attempt=phone is None and looks_like_phone_attempt(raw),
        name=name,
        attendee=attendee_name,
        yes=Cue.YES in all_cues,
        no=Cue.NO in all_cues,
    )
    commands = _commands(text, folded, clauses, entities, ctx, kb)
    return Understanding(commands=tuple(commands) or (Unclear(),), entities=entities)


# "не в 19, а в 20:30", "не на среду а на пятницу": the first one is what the client rejects
_NOT_THIS_BUT = re.compile(r"\bне\s+(?:в|во|на)\s+[^,]+?,?\s+а\s+(?=(?:в|во|на)\b)")
# "давайте не сегодня", "только не в субботу": a day ruled out is not a day wanted
_NOT_THAT_DAY = re.compile(r"\bне\s+(?:сегодня|завтра|послезавтра|(?:в|во|на)\s+[а-я]+\b)")
_NOT_NAME_BUT = re.compile(r"\bне\s+[А-ЯЁа-яё]+,?\s+а\s+(?=[А-ЯЁа-яё])")  # "не Катя, а Екатерина"
_SMALL_TALK_CUES = frozenset({Cue.GREET, Cue.THANKS, Cue.PRESENCE, Cue.YES, Cue.NO})


_ORDINAL_WORD = re.compile(r"\b(?:перв|втор|трет)\w*\b")
_DATE_CONTEXT = re.compile(
    r"\b(?:числ|январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)"
)


def _drop_ordinal_day(when: When, folded: str, ctx: _Context) -> When:
    """ "на первое" with lessons on screen is the first option, not the 1st of the month."""
    pointed = ctx.options and when.day is not None and not when.at
    if pointed and _ORDINAL_WORD.search(folded) and not _DATE_CONTEXT.search(folded):
        return When()
    return when


def _context(
    session: Session, today: date, vocabulary: frozenset[str], faq: FaqIndex | None = None
) -> _Context:
    slots = session.slots
    asked = asked_of(session)
    options = max(len(slots.bookings), len(slots.offered))
    return _Context(
        state=session.state,
        asked=asked,
        options=options,
        in_booking=session.state in BOOKING_STATES,
        has_draft=slots.lesson is not None or slots.service_id is not None,
        today=today,
        vocabulary=vocabulary,
        faq=faq,
    )


def _distinctive(folded: str, words: dict[str, str]) -> list[str]:
    found = {words[lemma(w)] for w in re.findall(r"[а-яa-z]{4,}", folded) if lemma(w) in words}
    return sorted(found) if len(found) == 1 else []


def _services(text: str, matcher: ServiceMatcher) -> list[str]:
    return [m.service.id for m in matcher.find_all(text)]


def _day_words(text: str) -> set[str]:
    """Words of the message that are days or months, never names ("Марта", "Среда")."""
    words = set(normalize(text).split())
    return {w for w in words if not parse_when(w, today=date(2000, 1, 3)).is_empty}


def _spec(when: When, text: str | None = None) -> WhenSpec | None:
    """The command's ``WhenSpec``; ``text`` is the words it was read from (an LLM's commands
    carry only those, and the manager resolves them the same way)."""
    if when.is_empty:
        return None
    habit = bool(when.weekdays)  # "по средам": a series, not its first date
    return WhenSpec(
        text=text,
        day=None if habit else when.day,
        days=() if habit else when.days,
        at=when.at,
        not_before=when.not_before,
        not_after=when.not_after,
        weekdays=when.weekdays,
        period_start=when.period_start,
        period_end=when.period_end,
    )


# --- clauses --------------------------------------------------------------------------------


def _clauses(text: str, matcher: ServiceMatcher, today: date) -> list[_Clause]:
    clauses: list[_Clause] = []
    for segment in _HARD_BREAK.split(text):
        if not segment or not segment.strip():
            continue
        pieces = [p for p in _SOFT_BREAK.split(segment) if p and p.strip()]
        groups: list[list[str]] = []
        for piece in pieces:
            if groups and not _starts_request(piece, " ".join(groups[-1]), matcher):
                groups[-1].append(piece)
            else:
                groups.append([piece])
        for n, group in enumerate(groups):
            asks = "?" in segment and n == len(groups) - 1
            clauses.append(_clause(" ".join(group), matcher, today, asks))
    return clauses


def _starts_request(piece: str, before: str, matcher: ServiceMatcher) -> bool:
    """Does ``piece`` begin a request of its own (its own cue, or its own service and day
    after a clause that had a service)?"""
    folded = normalize(piece)
    cues = cues_of(folded) - {Cue.QUESTION, Cue.MINE}
    if cues & _REQUEST_CUES and normalize(before).strip():
        return True
    own_service = bool(matcher.find_all(piece))
    own_when = not parse_when(piece, today=date(2000, 1, 3)).is_empty
    return own_service and own_when and bool(matcher.find_all(before))


def _clause(text: str, matcher: ServiceMatcher, today: date, question: bool) -> _Clause:
    folded = normalize(text)
    cues = cues_of(folded)
    if question:
        cues = cues | {Cue.QUESTION}
    return _Clause(
        text=text.strip(),
        folded=folded,
        cues=cues,
        services=_services(text, matcher),
        when=parse_when(text, today=today),
        question=Cue.QUESTION in cues,
    )


# --- commands -------------------------------------------------------------------------------


def _commands(
    text: str,
    folded: str,
    clauses: list[_Clause],
    entities: Entities,
    ctx: _Context,
    kb: KnowledgeBase,
) -> list[Command]:
    all_cues = frozenset().union(*(c.cues for c in clauses)) if clauses else frozenset()
    out: list[Command] = []
    if Cue.GREET in all_cues:
        out.append(Greet())
    if (handoff := _handoff(folded, all_cues, kb)) is not None:
        out.append(handoff)
        return out
    flow = _flow_commands(folded, clauses, entities, ctx, all_cues)
    requests: list[Command] = []
    previous: Command | None = None
    mine: str | None = None  # the style of "у меня запись на контемп" said before the request
    for clause in clauses:
        made = [_inherit(c, previous) for c in _clause_commands(clause, ctx, previous, entities)]
        made = [_with_booking_style(c, mine) for c in made]
        if Cue.MINE in clause.cues and clause.services:
            mine = clause.services[0]
        if made and isinstance(made[-1], AskFaq) and requests and _short(clause.folded):
            made = []  # "где вы? на светланской?": an elaboration of the question before
        requests += made
        if made:
            previous = made[-1]
    requests = _merge_requests(requests, entities)
    out += _reconcile(flow, requests, ctx, all_cues, folded)
    if Cue.THANKS in all_cues:
        out.append(Thanks())
    if Cue.PRESENCE in all_cues and not requests:
        out.append(Presence())
    return _dedupe(out)


def _with_booking_style(command: Command, style: str | None) -> Command:
    if style and isinstance(command, CancelBooking | Reschedule) and not command.ref.service_id:
        return command.model_copy(
            update={"ref": command.ref.model_copy(update={"service_id": style})}
        )
    return command


def _short(folded: str) -> bool:
    rest = _SMALL_WORDS.sub(" ", _FUNCTION_WORDS.sub(" ", folded))
    return len(re.findall(r"[а-я]{3,}", rest)) <= 1


def _inherit(command: Command, previous: Command | None) -> Command:
    """ "сколько стоит хилс | и есть ли места в среду": the second request is about the style
    the first one named."""
    service = getattr(previous, "service_id", None)
    if service and isinstance(command, AskSchedule | AskPrice) and command.service_id is None:
        return command.model_copy(update={"service_id": service})
    return command


def _handoff(folded: str, cues: frozenset[Cue], kb: KnowledgeBase) -> Handoff | None:
    """A complaint, a request for a person, or one of the KB's escalation phrases."""
    if Cue.COMPLAINT in cues:
        return Handoff(reason=HandoffReason.COMPLAINT)
    if Cue.HANDOFF in cues and not (cues & {Cue.TEACHERS}):
        return Handoff(reason=HandoffReason.REQUEST)
    for trigger in kb.escalation.triggers:
        if normalize(trigger) in folded:
            return Handoff(reason=HandoffReason.TRIGGER)
    return None


def _flow_commands(
    folded: str,
    clauses: list[_Clause],
    entities: Entities,
    ctx: _Context,
    cues: frozenset[Cue],
) -> list[Command]:
    """Answers to what the bot asked: yes / no / drop / a choice / contact details."""
    out: list[Command] = []
    yes_at = first_position(folded, Cue.YES) if Cue.YES in cues else None
    no_at = first_position(folded, Cue.NO) if Cue.NO in cues else None
    if Cue.DECLINE in cues and not _decline_is_yes(folded, ctx):
        out.append(Decline())
    elif no_at is not None and (yes_at is None or no_at <= yes_at):
        out.append(Deny())
    elif yes_at is not None:
        out.append(Confirm())
    if ctx.options and (idx := _choice(folded, ctx, entities)) is not None:
        out.append(ChooseOption(index=idx))
    elif ctx.asked == "pick_booking" and references.every(folded):
        out.append(CancelBooking(ref=BookingRef(every=True)))  # "обе", "все"
    same = True if Cue.SAME in cues else (False if Cue.OTHER in cues else None)
    if entities.name or entities.phone or entities.attendee or same is not None:
        out.append(
            SetSlots(
                name=entities.name,
                phone=entities.phone,
                attendee=entities.attendee,
                same_phone=same,
            )
        )
    return out


def _decline_is_yes(folded: str, ctx: _Context) -> bool:
    """ "отмена" is a yes to "Отменить запись?"; "не надо" is a no there, not a decline."""
    return ctx.asked == "confirm_cancel" and folded.startswith("отмен")


def _choice(folded: str, ctx: _Context, entities: Entities) -> int | None:
    digits = re.findall(r"\d+", folded)
    lone = len(digits) == 1 and len(digits[0]) == 1 and not re.search(r"\d[:.]\d", folded)
    if lone and (entities.when is None or entities.when.is_empty):
        index = int(digits[0])  # "давайте 1", "2, Оля"
        return index if 0 < index <= ctx.options else None
    bare = re.fullmatch(r"\W*(\d)\W*", folded) is not None
    idx = references.ordinal(folded, bare_numbers=bare or references.names_an_option(folded))
    if idx is None:
        return None
    if idx > ctx.options:
        return None
    if entities.phone is not None:
        return None
    return idx


def _clause_commands(
    clause: _Clause, ctx: _Context, previous: Command | None, entities: Entities
) -> list[Command]:
    """The request one clause makes, if any."""
    cues = clause.cues
    service = clause.services[0] if clause.services else None
    when = _spec(clause.when, clause.folded)
    change = _change(clause, ctx)
    if change is not None:
        return [change]
    booking = _is_booking(clause, service, when)
    if Cue.TRIAL in cues and not booking and Cue.PRICE not in cues and not _leftover(clause, ctx):
        return [AskInfo(topic=InfoTopic.TRIAL, service_id=service, text=clause.text)]
    if Cue.PRICE in cues or (Cue.TARIFF in cues and not booking and not _leftover(clause, ctx)):
        trial = Cue.TRIAL in cues
        prices: list[Command] = [
            AskPrice(service_id=s, trial=trial) for s in _each(clause.services)
        ]
        return [*prices, *_also_schedule(clause, service, when)]
    if Cue.SERVICES in cues and when is not None and not booking and not service:
        return [AskSchedule(when=when)]  # "что у вас есть в субботу?"
    info = _info(clause, service, booking)
    if info is not None and not (booking and (service or when)):
        return [info]
    if booking and not (clause.question and Cue.AVAILABILITY in cues and Cue.BOOK not in cues):
        return _bookings(clause, when)
    places = re.search(r"\bмест", clause.folded) is not None
    if Cue.SCHEDULE in cues or (Cue.AVAILABILITY in cues and (service or when or places)):
        return [AskSchedule(service_id=s, when=when) for s in _each(clause.services)]
    if clause.question:
        if when and (service or not _leftover(clause, ctx)):
            return [AskSchedule(service_id=service, when=when)]  # "что у вас в субботу?"
        if _meaningful(clause.folded) and _to_the_studio(clause.folded, ctx):
            return [AskFaq(text=clause.text)]
        return []
    return _bare(clause, ctx, previous, service, when, entities)


def _change(clause: _Clause, ctx: _Context) -> Command | None:
    """A move, a cancellation or a late notice — unless the clause asks about the rule
    ("за сколько можно отменить?")."""
    cues = clause.cues
    rule_question = clause.question and _RULE_QUESTION.search(clause.folded) is not None
    about_rule = rule_question and Cue.MINE not in cues
    if Cue.LATE in cues and not clause.question and "отмен" not in clause.folded:
        return ReportLate(minutes=parse_delay_minutes(clause.text))
    if Cue.MOVE in cues and not about_rule:
        move = _reschedule(clause, ctx)
        if ctx.in_booking and Cue.MINE not in cues and isinstance(move, Reschedule):
            return Correct(service_id=move.ref.service_id, when=move.to)  # "а можно на завтра?"
        return move
    if Cue.CANCEL in cues and not about_rule:
        return _cancel(clause, ctx)
    return None


def _each(services: list[str]) -> list[str | None]:
    """One command per style named; one with no style when none is."""
    return list(services) if services else [None]


_BOOKING_VERB = re.compile(r"\bза?п[иы]ш(?:и|ите|усь)\b|\bзаписать\w*|\bхочу\b|\bдавай\w*")


def _is_booking(clause: _Clause, service: str | None, when: WhenSpec | None) -> bool:
    """A booking request: a booking verb, or "можно / прийти / попробовать" about a style or
    a day — unless it is a question about conditions ("с какого возраста можно прийти")."""
    cues = clause.cues
    if Cue.MINE in cues and not _BOOKING_VERB.search(clause.folded):
        return False  # "у меня запись на контемп": an existing booking, not a new one
    if cues & {Cue.CANCEL, Cue.MOVE}:
        return False  # "за сколько можно отменить запись": about a booking, not a new one
    if Cue.DECLINE in cues and not (service or when):
        return False  # "стоп, не записывайте", "давайте в другой раз"
    if Cue.BOOK in cues:
        return True
    if Cue.COME not in cues:
        return False
    if not (service or when):
        return not clause.question and re.search(r"\bможно\b", clause.folded) is None
    asks_conditions = re.search(
        r"\b(?:как|где|когда|сколько|скольки|какого|какой|какая|какие|кто|почему|зачем|чем)\b",
        clause.folded,
    )
    return asks_conditions is None


def _bookings(clause: _Clause, when: WhenSpec | None) -> list[Command]:
    """One booking per style named ("на хилс и джазфанк в среду"); a habit is a series."""
    if clause.when.weekdays:  # "по вторникам": a habit, so a series (S6)
        return [
            BookSeries(service_id=s, when=when, lessons=lesson_count(clause.text))
            for s in _each(clause.services)
        ]
    return [StartBooking(service_id=s, when=when) for s in _each(clause.services)]


def _also_schedule(clause: _Clause, service: str | None, when: WhenSpec | None) -> list[Command]:
    """ "сколько стоит и есть ли места в среду" inside one clause."""
    if when is not None and Cue.AVAILABILITY in clause.cues:
        return [AskSchedule(service_id=service, when=when)]
    return []


def _info(clause: _Clause, service: str | None, booking: bool) -> Command | None:
    for cue, topic in _INFO_CUES:
        if cue in clause.cues:
            if topic == InfoTopic.SERVICES and (booking or (service and not clause.question)):
                continue  # "хочу потанцевать хип-хоп" books
            if topic == InfoTopic.TRIAL and booking:
                continue  # "можно записаться на пробное" books
            return AskInfo(topic=topic, service_id=service, text=clause.text)
    return None


def _bare(
    clause: _Clause,
    ctx: _Context,
    previous: Command | None,
    service: str | None,
    when: WhenSpec | None,
    entities: Entities,
) -> list[Command]:
    """A clause with no request word: it continues the previous request, fills what the
    bot asked for, or (a bare style name) asks to book it."""
    if isinstance(previous, StartBooking | BookSeries) and (service or when):
        return [StartBooking(service_id=service, when=when)]
    if isinstance(previous, AskPrice) and service and not when:
        return [AskPrice(service_id=service)]
    if isinstance(previous, AskSchedule) and (service or when):
        return [AskSchedule(service_id=service, when=when)]
    if not service and not when:
        return []
    if Cue.MINE in clause.cues and ctx.state != State.CANCEL_FLOW:
        return []  # "у меня запись на контемп, …": names the booking the next clause acts on
    if ctx.in_booking or ctx.state in (State.SERIAL_BOOKING, State.CANCEL_FLOW):
        return [SetSlots(service_id=service, when=when)]
    if ctx.state == State.BROWSING_SCHEDULE and not service:
        return [SetSlots(when=when)]
    if service:
        if clause.when.weekdays:
            return [BookSeries(service_id=service, when=when)]
        return [StartBooking(service_id=service, when=when)]
    return [AskSchedule(when=when)]


_SMALL_WORDS = re.compile(
    r"\b(?:привет\w*|здравств\w*|здрасте|добр\w+|день|вечер|утро|спасибо|спс|да|нет|ок|окей|"
    r"вы|ты|тут|здесь|алло|ау|эй|а|ну|и|хорошо|понятно|ясно|отлично|супер|класс|можно|ли)\b"
)


_FUNCTION_WORDS = re.compile(
    r"\b(?:на|в|во|по|за|для|с|со|к|у|о|об|от|до|и|или|а|но|же|ли|то|это|вас|вам|мне|меня|"
    r"есть|будет|какой|какая|какое|какие|сколько|как|что|а|ну|там|тогда|занятие|занятия|"
    r"занятий|урок|уроки|групп\w*)\b"
)


def _leftover(clause: _Clause, ctx: _Context) -> bool:
    """Words beyond cue words, styles and function words: "абик можно *заморозить*?" asks
    something other than the price."""
    rest = _FUNCTION_WORDS.sub(" ", clause.folded)
    vocabulary = ctx.vocabulary | cue_words(clause.folded) | _day_words(clause.folded)
    return any(w not in vocabulary for w in re.findall(r"[а-яa-z]{3,}", rest))


_ADDRESSED = re.compile(
    r"\b(?:можно|нельзя|у вас|вы|вам|вас|ваш\w*|есть ли|нужн\w*|надо ли|разреш\w*|принимаете|"
    r"бывает|студи\w*|зал\w*|заняти\w*|урок\w*|групп\w*|танц\w*|трениров\w*)\b"
)


def _to_the_studio(folded: str, ctx: _Context) -> bool:
    """A question for the studio (asks about it, or uses its words), not small talk for the
    bot ("какая сегодня погода", "расскажи анекдот"): only those go to the FAQ and the admin."""
    if _ADDRESSED.search(folded):
        return True
    words = set(re.findall(r"[а-я]{3,}", folded))
    if words & (ctx.vocabulary | _STUDIO_WORDS):
        return True
    hits = ctx.faq.search(folded, limit=1) if ctx.faq is not None else []
    return bool(hits) and hits[0].score >= FAQ_RELATED  # the studio's FAQ speaks of it


def _meaningful(folded: str) -> bool:
    """A question worth looking up: more than greetings, thanks, yes/no and "вы тут"."""
    rest = _SMALL_WORDS.sub(" ", folded)
    return len(re.findall(r"[а-яa-z]{3,}", rest)) >= 1


def _ref(
    clause: _Clause, ctx: _Context, *, when: When | None, words: str | None = None
) -> BookingRef:
    folded = clause.folded
    ordinal = references.ordinal(folded, bare_numbers=False)
    if references.latest_made(folded):
        ordinal = None
    spec = _spec(when, words) if when is not None else None
    adjective = _adjective_day(folded, ctx.today)
    if adjective is not None and (spec is None or spec.day is None):
        spec = WhenSpec(day=adjective)
    return BookingRef(
        service_id=clause.services[0] if clause.services else None,
        when=spec,
        ordinal=ordinal,
        latest_made=references.latest_made(folded),
        every=references.every(folded),
    )


def _adjective_day(folded: str, today: date) -> date | None:
    for stem, shift in _RELATIVE_ADJECTIVES:
        if stem in folded:
            return today + timedelta(days=shift)
    for stem, weekday in _DAY_ADJECTIVES:
        if stem in folded:
            return today + timedelta(days=(weekday - today.isoweekday()) % 7)
    return None


def _cancel(clause: _Clause, ctx: _Context) -> Command | None:
    """ "отмените ту что в субботу" → the booking; inside a booking draft, "отмена" with no
    booking named drops the draft (None: the flow commands carry the Decline)."""
    if ctx.in_booking and Cue.MINE not in clause.cues and not clause.services:
        return Decline()  # "не смогу в субботу": that day is out, nothing booked yet
    return CancelBooking(ref=_ref(clause, ctx, when=clause.when, words=clause.folded))


def _reschedule(clause: _Clause, ctx: _Context) -> Command:
    """ "перенесите растяжку с субботы на вторник": the booking is the one on Saturday, the
    new day Tuesday; "перенесите на пятницу": the new day only."""
    src_when: When | None = None
    dst_when: When | None = None
    src_words: str | None = None
    dst_words: str | None = clause.folded
    if m := _MOVE_FROM_TO.search(clause.folded):
        src_words, dst_words = m["src"], m["dst"]
        src_when = parse_when(src_words, today=ctx.today)
        dst_when = parse_when(dst_words, today=ctx.today)
    elif m := _MOVE_TO.search(clause.folded):
        src_words, dst_words = clause.folded[: m.start()], m["dst"]
        dst_when = parse_when(dst_words, today=ctx.today)
        src_when = parse_when(src_words, today=ctx.today)
    else:
        dst_when = clause.when
    if dst_when is not None and dst_when.is_empty:
        dst_when = None
    return Reschedule(
        ref=_ref(clause, ctx, when=src_when, words=src_words),
        to=_spec(dst_when, dst_words) if dst_when else None,
    )


def _fold_repeats(requests: list[Command]) -> list[Command]:
    """One answer per topic and one late notice per message; "перезапишите на среду, а то в
    пн не успеваю": the cancel clause names the booking the move is about."""
    out: list[Command] = []
    for command in requests:
        if isinstance(command, AskInfo) and any(
            isinstance(c, AskInfo) and c.topic == command.topic for c in out
        ):
            continue
        late = next((c for c in out if isinstance(c, ReportLate)), None)
        if isinstance(command, ReportLate) and late is not None:
            if late.minutes is None and command.minutes is not None:
                out[out.index(late)] = command
            continue
        move = next((c for c in out if isinstance(c, Reschedule)), None)
        if isinstance(command, CancelBooking) and move is not None and move.ref.is_empty:
            out[out.index(move)] = move.model_copy(update={"ref": command.ref})
            continue
        out.append(command)
    return out


def _merge_requests(requests: list[Command], entities: Entities) -> list[Command]:
    """Pieces of one request become one command: "на контемп, в среду вечером"; "хилс завтра
    в 19 есть место? запишите меня" (the booking takes the style and day asked about)."""
    bookings = [c for c in requests if isinstance(c, StartBooking)]
    if len(bookings) == 1 and bookings[0].service_id is None:
        asked = [c for c in requests if isinstance(c, AskSchedule) and c.service_id]
        if asked:
            requests = [c for c in requests if c is not asked[0]]
            start = bookings[0]
            requests[requests.index(start)] = StartBooking(
                service_id=asked[0].service_id, when=start.when or asked[0].when
            )
        elif len(entities.service_ids) == 1:
            start = bookings[0]
            requests[requests.index(start)] = StartBooking(
                service_id=entities.service_ids[0], when=start.when or entities.when
            )
    requests = _fold_repeats(requests)
    topics = {c.topic for c in requests if isinstance(c, AskInfo)}
    if InfoTopic.BEGINNERS in topics:  # what suits a beginner lists the directions anyway
        requests = [
            c for c in requests if not (isinstance(c, AskInfo) and c.topic == InfoTopic.SERVICES)
        ]
    merged: list[Command] = []
    for command in requests:
        last = merged[-1] if merged else None
        if (
            isinstance(command, StartBooking)
            and isinstance(last, StartBooking)
            and (command.service_id is None or last.service_id is None)
            and (command.when is None or last.when is None)
        ):
            merged[-1] = StartBooking(
                service_id=last.service_id or command.service_id, when=last.when or command.when
            )
            continue
        if isinstance(command, CancelBooking) and isinstance(last, CancelBooking):
            if command.ref.is_empty:
                continue  # "не смогу на джаз-фанк сегодня, отмените"
            if last.ref.is_empty:
                merged[-1] = command
                continue
        if command in merged:
            continue
        merged.append(command)
    return merged


FAQ_RELATED = 0.2
_STUDIO_WORDS = frozenset(
    [
        "абонемент",
        "абонемента",
        "пробное",
        "оплата",
        "оплатить",
        "картой",
        "наличными",
        "душ",
        "раздевалка",
        "форма",
        "одежда",
        "обувь",
        "сменка",
        "возраст",
        "лет",
        "ребенок",
        "детей",
        "опыт",
        "запись",
        "записи",
        "преподаватель",
        "тренер",
        "парковка",
        "сертификат",
        "сертификаты",
        "заморозить",
        "скидка",
        "скидки",
    ]
)
_YES_NO_ASKED = frozenset({"confirm", "confirm_cancel", "same_phone", "book"})


def _reconcile(
    flow: list[Command],
    requests: list[Command],
    ctx: _Context,
    cues: frozenset[Cue],
    folded: str,
) -> list[Command]:
    """Put the answers to the bot's question and the client's own requests together, the way
    the state makes sense of them."""
    has_new_request = any(
        isinstance(c, StartBooking | BookSeries) and (c.service_id or c.when) for c in requests
    )
    corrections = Cue.CORRECTION in cues or Deny() in flow
    if ctx.in_booking or ctx.state == State.SERIAL_BOOKING:
        # "записывайте" at the summary is a yes, not a new booking with nothing in it
        requests = [
            _as_slot(c, ctx, corrections)
            for c in requests
            if not (isinstance(c, StartBooking) and c.service_id is None and c.when is None)
        ]
    changes = any(
        isinstance(c, StartBooking | BookSeries | Correct | SetSlots) and (c.service_id or c.when)
        for c in requests
    )
    if has_new_request or changes:
        # "хотя нет, передумал, давайте хип-хоп в четверг": a no to the old, not a goodbye
        flow = [Deny() if isinstance(c, Decline) else c for c in flow]
    if any(isinstance(c, Correct) for c in requests) or (
        ctx.asked not in _YES_NO_ASKED and (requests or len(flow) > 1)
    ):
        flow = [c for c in flow if not isinstance(c, Confirm)]  # "давайте в 19", "ок, Аня"
    if Cue.THANKS in cues and ctx.asked not in _YES_NO_ASKED:
        flow = [c for c in flow if not isinstance(c, Confirm)]  # "супер, спасибо!"
    if ctx.state == State.CANCEL_FLOW:
        requests = [_in_cancel_flow(c, ctx) for c in requests]
        flow, requests = _cancel_answer(flow, requests, ctx)
    elif any(isinstance(c, CancelBooking) for c in requests):
        flow = [c for c in flow if not isinstance(c, Decline)]  # "отмена" with nothing drafted
    if (ctx.in_booking or ctx.state == State.SERIAL_BOOKING) and (
        ctx.asked == "confirm" or Cue.CORRECTION in cues or Deny() in flow
    ):
        flow = [_correct_contact(c) for c in flow]
    return _merge_slots([*flow, *requests])


def _cancel_answer(
    flow: list[Command], requests: list[Command], ctx: _Context
) -> tuple[list[Command], list[Command]]:
    """ "да, отменяйте" / "не надо отменять" answer "Отменить запись?": a yes or a no, not a
    new request."""
    if ctx.asked != "confirm_cancel":
        return flow, requests
    empty = [c for c in requests if isinstance(c, CancelBooking) and c.ref.is_empty]
    if not empty:
        return flow, requests
    rest = [c for c in requests if c not in empty]
    if any(isinstance(c, Decline | Deny) for c in flow):
        return [Deny() if isinstance(c, Decline) else c for c in flow], rest
    if not any(isinstance(c, Confirm) for c in flow):
        flow = [*flow, Confirm()]
    return flow, rest


def _merge_slots(commands: list[Command]) -> list[Command]:
    """One ``SetSlots`` and one ``Correct`` per message, holding everything it gave."""
    out: list[Command] = []
    for command in commands:
        if isinstance(command, SetSlots | Correct):
            held = next((c for c in out if type(c) is type(command)), None)
            if held is not None:
                merged = {
                    k: getattr(command, k)
                    for k in type(command).model_fields
                    if k != "type" and getattr(command, k) is not None and getattr(held, k) is None
                }
                out[out.index(held)] = held.model_copy(update=merged)
                continue
        out.append(command)
    return out


def _as_slot(command: Command, ctx: _Context, correction: bool) -> Command:
    """Inside a booking, a style or a day is a detail of that booking (or a correction of it
    at the summary), not a new booking — unless it names another style."""
    if isinstance(command, StartBooking | SetSlots):
        at_summary = ctx.state == State.CONFIRM_BOOKING
        chosen = ctx.state == State.COLLECTING_CONTACT and ctx.has_draft
        if at_summary or (correction and chosen and command.service_id is None):
            return Correct(service_id=command.service_id, when=command.when)
        if isinstance(command, StartBooking) and command.service_id is None:
            return SetSlots(when=command.when)
    return command


def _correct_contact(command: Command) -> Command:
    if isinstance(command, SetSlots) and (command.name or command.phone):
        return Correct(name=command.name, phone=command.phone)
    return command


def _in_cancel_flow(command: Command, ctx: _Context) -> Command:
    """While the client picks which booking: a style or day picks it; a day after the booking
    was picked for a move is the new day."""
    if isinstance(command, SetSlots | StartBooking | AskSchedule) and ctx.asked == "pick_booking":
        ref = BookingRef(service_id=command.service_id, when=command.when)
        return CancelBooking(ref=ref)
    return command


def _dedupe(commands: list[Command]) -> list[Command]:
    out: list[Command] = []
    for command in commands:
        if command not in out:
            out.append(command)
    return out
