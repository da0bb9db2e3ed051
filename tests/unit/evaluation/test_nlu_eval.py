"""``dancebot nlu-eval``: corpus validation, the metrics, and the exit codes.

The parser under test is injected: a fake ``understand`` that answers from a table, so the
numbers below are known by hand.
"""

from __future__ import annotations

from datetime import date, time
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from dancebot.domain.commands import (
    AskInfo,
    ChooseOption,
    Confirm,
    Entities,
    Greet,
    InfoTopic,
    SetSlots,
    StartBooking,
    Unclear,
    Understanding,
    WhenSpec,
)
from dancebot.domain.fsm import State
from dancebot.domain.session import Session
from dancebot.entrypoints.settings import PROJECT_ROOT
from dancebot.evaluation.nlu_corpus import CorpusError, discover, load_corpus
from dancebot.evaluation.nlu_eval import run_corpus, run_nlu_eval, session_for
from dancebot.evaluation.nlu_metrics import MISSING, confusion_pairs, score
from dancebot.kb.schema import KnowledgeBase

CORPUS = PROJECT_ROOT / "tests/nlu/corpus"

TINY = """\
today: "2026-03-02"
items:
  - {text: "да", state: confirm_booking, asked: confirm, commands: [confirm]}
  - text: "привет, хочу на хипхоп в среду в 7"
    commands: [greet, start_booking]
    entities: {services: [hiphop], day: "2026-03-04", at: "19:00"}
  - {text: "где вы и сколько стоит", commands: ["ask_info:address", ask_price]}
  - {text: "последний", state: collecting_datetime, asked: lesson, offered: 3,
     commands: ["choose_option:3"]}
  - {text: "юля 89161234567", state: collecting_contact, asked: contact, commands: [set_slots],
     entities: {name: "Юля", phone: "+79161234567"}}
"""

_WED = date(2026, 3, 4)
ANSWERS: dict[str, Understanding] = {
    # right
    "да": Understanding(commands=(Confirm(),)),
    # commands right, the time wrong (7 in the morning)
    "привет, хочу на хипхоп в среду в 7": Understanding(
        commands=(Greet(), StartBooking(service_id="hiphop")),
        entities=Entities(service_ids=("hiphop",), when=WhenSpec(day=_WED, at=time(7, 0))),
    ),
    # the wrong topic, and the price question missed
    "где вы и сколько стоит": Understanding(commands=(AskInfo(topic=InfoTopic.PARKING),)),
    # "the last one" as -1: the same as 3 when three were offered
    "последний": Understanding(commands=(ChooseOption(index=-1),)),
    # right, the name only in the command, in another case of letters
    "юля 89161234567": Understanding(
        commands=(SetSlots(name="юля", phone="+79161234567"),),
    ),
}


def fake_understand(text: str, session: Session, kb: KnowledgeBase, today: date) -> Understanding:
    return ANSWERS.get(text, Understanding(commands=(Unclear(),)))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "dev"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(TINY, encoding="utf-8")
    return tmp_path


def test_every_corpus_file_in_the_repo_is_valid() -> None:
    files = discover([CORPUS])
    corpus = load_corpus(files, root=PROJECT_ROOT)
    assert {f.parent.name for f in files} == {"dev", "test"}
    assert len(corpus.items) >= 800


def test_the_corpus_covers_every_command_type_and_entity_kind_30_times() -> None:
    from collections import Counter

    from dancebot.domain.commands import COMMAND_TYPES
    from dancebot.evaluation.nlu_corpus import ENTITY_KINDS

    corpus = load_corpus(discover([CORPUS]), root=PROJECT_ROOT)
    commands = Counter(
        label.partition(":")[0] for i in corpus.items for label in i.expected.commands
    )
    entities = Counter(kind for i in corpus.items for kind in i.expected.entities)
    assert {t: commands[t] for t in COMMAND_TYPES if commands[t] < 30} == {}
    assert {k: entities[k] for k in ENTITY_KINDS if entities[k] < 30} == {}


def test_split_keeps_the_files_below_that_folder() -> None:
    dev, test = discover([CORPUS], "dev"), discover([CORPUS], "test")
    assert dev and test
    assert all(f.parent.name == "dev" for f in dev)
    assert all(f.parent.name == "test" for f in test)
    assert sorted(dev + test) == discover([CORPUS])


def test_scores_by_hand(tiny: Path) -> None:
    corpus = load_corpus(discover([tiny]), root=PROJECT_ROOT)
    report = score(run_corpus(corpus, fake_understand))

    assert report.items == 5
    # labels: confirm, greet, start_booking, ask_info:address, ask_price, choose_option:3,
    # set_slots (7); predicted right: all but ask_info:address and ask_price (5);
    # predicted wrong: ask_info:parking (1)
    micro = report.micro
    assert (micro.support, micro.tp, micro.fp, micro.fn) == (7, 5, 1, 2)
    assert micro.precision == pytest.approx(5 / 6)
    assert micro.recall == pytest.approx(5 / 7)
    assert micro.f1 == pytest.approx(2 * (5 / 6) * (5 / 7) / (5 / 6 + 5 / 7))
    ask_info = report.commands["ask_info"]
    assert (ask_info.support, ask_info.tp, ask_info.fp, ask_info.fn) == (1, 0, 1, 1)
    assert report.commands["ask_price"].recall == 0.0
    assert report.commands["choose_option"].f1 == 1.0
    # macro: mean F1 over the 7 types that occur: 5 of them 1.0, ask_info and ask_price 0.0
    assert report.macro_f1 == pytest.approx(5 / 7)
    assert report.confusions == {
        ("ask_info:address", "ask_info:parking"): 1,
        ("ask_price", MISSING): 1,
    }
    # whole messages: "да", "последний" and "юля …" are exact; the hip-hop one has a wrong time
    assert (report.exact, report.commands_exact) == (3, 4)
    at, services, name = report.entities["at"], report.entities["services"], report.entities["name"]
    assert (at.support, at.correct, at.wrong) == (1, 0, 1)
    assert (services.support, services.correct, services.accuracy) == (1, 1, 1.0)
    assert (name.support, name.correct) == (1, 1)


def test_a_value_where_none_is_labelled_is_spurious(tiny: Path) -> None:
    def says_a_phone(text: str, session: Session, kb: KnowledgeBase, today: date) -> Understanding:
        return Understanding(commands=(Confirm(),), entities=Entities(phone="+79161234567"))

    corpus = load_corpus(discover([tiny]), root=PROJECT_ROOT)
    report = score(run_corpus(corpus, says_a_phone))
    phone = report.entities["phone"]
    assert (phone.support, phone.correct, phone.spurious) == (1, 1, 4)
    assert phone.precision == pytest.approx(1 / 5)


def test_a_parser_that_raises_is_scored_as_empty(tiny: Path) -> None:
    def broken(text: str, session: Session, kb: KnowledgeBase, today: date) -> Understanding:
        raise RuntimeError("boom")

    corpus = load_corpus(discover([tiny]), root=PROJECT_ROOT)
    results = run_corpus(corpus, broken)
    report = score(results)
    assert report.errors == 5
    assert report.micro.tp == 0
    assert results[0].predicted.error == "RuntimeError: boom"


def test_confusion_pairs_prefer_the_same_type_then_pair_leftovers_with_nothing() -> None:
    from collections import Counter

    missed = Counter({"ask_info:address": 1, "confirm": 1, "greet": 1})
    extra = Counter({"ask_info:parking": 1, "deny": 1})
    assert confusion_pairs(missed, extra) == [
        ("ask_info:address", "ask_info:parking"),
        ("confirm", "deny"),
        ("greet", MISSING),
    ]
    assert confusion_pairs(Counter(), Counter({"unclear": 2})) == [
        (MISSING, "unclear"),
        (MISSING, "unclear"),
    ]


def test_the_session_is_built_in_the_items_state(tiny: Path) -> None:
    corpus = load_corpus(discover([tiny]), root=PROJECT_ROOT)
    item = next(i for i in corpus.items if i.text == "последний")
    session = session_for(item, corpus.kbs[item.kb_path])
    assert session.state == State.COLLECTING_DATETIME
    assert session.slots.awaiting == "lesson"
    assert len(session.slots.offered) == 3
    assert session.slots.bookings == []


BAD = """\
today: "2026-03-02"
items:
  - {text: "да", state: confirming, commands: [confirmm]}
  - {text: "x", commands: ["ask_info:where", "choose_option:4"], offered: 2,
     entities: {services: [salsa], phone: "89161234567", at: "7", colour: red}}
  - {text: "", commands: []}
"""


def test_invalid_labels_name_the_file_the_item_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus([path], root=PROJECT_ROOT)
    text = "\n".join(caught.value.problems)
    for expected in (
        "items[1].state: 'confirming' is not a state",
        "items[1].commands[1]: 'confirmm' is not a command type",
        "items[2].commands[1]: ask_info needs a qualifier",
        "items[2].commands[2]: choose_option:4 but only 2 options were offered",
        "items[2].entities.services: ['salsa'] not in",
        "items[2].entities.phone: '89161234567' is not a valid phone in E.164",
        "items[2].entities.at: '7' is not a time HH:MM",
        "items[2].entities.colour: unknown entity kind",
        "items[3].text: required",
        "items[3].commands: required",
    ):
        assert expected in text
    assert all(line.startswith(str(path)) for line in caught.value.problems)


def _run(
    paths: list[Path],
    threshold: float | None,
    *,
    split: str = "all",
    json_file: Path | None = None,
    verbose: bool = False,
) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = run_nlu_eval(
        paths,
        fake_understand,
        split=split,
        threshold=threshold,
        json_file=json_file,
        verbose=verbose,
        out=Console(file=out, width=200),
        err=Console(file=err, width=200),
    )
    return code, out.getvalue(), err.getvalue()


def test_exit_code_follows_the_threshold_on_micro_f1(tiny: Path, tmp_path: Path) -> None:
    # micro F1 = 2·(5/6)(5/7)/(5/6+5/7) ≈ 0.769
    assert _run([tiny], 0.76)[0] == 0
    assert _run([tiny], 0.77)[0] == 1
    code, out, _ = _run([tiny], None, verbose=True, json_file=tmp_path / "r.json")
    assert code == 0
    assert "micro F1 0.769 over 5 messages" in out
    assert "ask_info:address" in out and "ask_info:parking" in out
    assert "at: expected 19:00, got 07:00" in out  # --verbose lists the failing items
    assert '"micro"' in (tmp_path / "r.json").read_text(encoding="utf-8")


def test_exit_code_2_on_an_invalid_corpus_or_split(tmp_path: Path, tiny: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    code, _, err = _run([tmp_path / "bad.yaml"], None)
    assert code == 2
    assert "confirmm" in err
    assert _run([tiny], None, split="train")[0] == 2
    assert _run([tiny], None, split="test")[0] == 2  # no test/ folder: nothing to run
    assert _run([tiny], None, split="dev")[0] == 0
