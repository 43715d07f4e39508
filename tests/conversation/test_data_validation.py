"""`rasa data validate`, with one honest exception spelled out.

Rasa's validator only sees responses used in stories and rules. Responses that a form asks
(`utter_ask_<slot>`) or that a custom action sends by name are used too; this test proves each
such use from the code instead of switching the warning off. Every other warning fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

ROOT = Path(__file__).resolve().parents[2]
UNUSED = re.compile(r"The utterance '(utter_[\w/]+)' is not used in any story or rule\.")
NO_EXAMPLES = re.compile(r"The intent '(\w+)' is listed in the domain file, but is not found in the NLU")


@pytest.fixture(scope="module")
def validator() -> Validator:
    importer = TrainingDataImporter.load_from_dict(
        config_path=str(ROOT / "config.yml"),
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "data")],
    )
    return Validator.from_importer(importer)


def _responses_used_in_code() -> set[str]:
    code = "\n".join(p.read_text() for p in [*ROOT.glob("actions/*.py"), *ROOT.glob("bot/**/*.py")])
    used = set(re.findall(r"\"(utter_\w+)\"", code))  # named in a call or passed on to one
    # action_answer_faq sends the retrieval response the selector chose, f"utter_{topic}" with
    # topic = its intent_response_key (faq/<name>): that is Rasa's utter_faq, used by hand.
    if 'response=f"utter_{topic}"' in code and "intent_response_key" in code:
        used.add("utter_faq")
    # The onboarding form re-asks with f"utter_invalid_{slot}" for each of its slots.
    for prefix in re.findall(r"response=f\"(utter_\w+_)\{slot\}\"", code):
        used |= {f"{prefix}{slot}" for slot in _form_slots("onboarding_form")}
    return used


def _form_names() -> set[str]:
    return set(yaml.safe_load((ROOT / "domain.yml").read_text())["forms"])


def _form_slots(only: str | None = None) -> set[str]:
    slots: set[str] = set()
    for name, form in yaml.safe_load((ROOT / "domain.yml").read_text())["forms"].items():
        if only in (None, name):
            slots |= set(form["required_slots"])
    return slots


def _warnings_of(check) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ok = check()
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return messages if not ok or messages else []


def test_domain_is_valid(validator: Validator) -> None:
    assert validator.verify_domain_validity()
    assert validator.verify_actions_in_stories_rules()
    assert validator.verify_forms_in_stories_rules()
    assert validator.verify_form_slots()
    assert validator.verify_slot_mappings()


def test_nlu_data_has_no_warnings_but_proven_response_uses(validator: Validator) -> None:
    # Rasa asks a form's slot with utter_ask_<form>_<slot> before utter_ask_<slot>.
    allowed = _responses_used_in_code() | {f"utter_ask_{slot}" for slot in _form_slots()} | {
        f"utter_ask_{form}_{slot}" for form in _form_names() for slot in _form_slots(form)}
    problems = []
    code = "\n".join(p.read_text() for p in [*ROOT.glob("actions/*.py"), *ROOT.glob("bot/**/*.py")])
    for message in _warnings_of(lambda: validator.verify_nlu(ignore_warnings=False)):
        match, button_only = UNUSED.search(message), NO_EXAMPLES.search(message)
        if match and match.group(1) in allowed:
            continue
        # An intent only a button sends ("/screening_answer{...}", built in the code) needs no examples.
        if button_only and f"/{button_only.group(1)}" in code:
            continue
        problems.append(message)
    assert problems == []


def test_stories_and_rules_do_not_conflict(validator: Validator) -> None:
    assert validator.verify_story_structure(ignore_warnings=False)


def test_every_response_exists_that_the_code_sends(validator: Validator) -> None:
    responses = set(validator.domain.responses)
    # utter_faq stands for its retrieval responses, utter_faq/<name>, one per FAQ topic
    retrieval = {"utter_faq"} if any(r.startswith("utter_faq/") for r in responses) else set()
    assert _responses_used_in_code() - responses - retrieval == set()


@pytest.mark.slow  # two `rasa` processes (about 20 s each); no server, no model
def test_the_plain_rasa_commands_work_from_the_project_root_without_flags() -> None:
    """The layout a Rasa user expects (config.yml, domain.yml, data/ at the root), so the first
    commands they type find everything. `--dry-run` exits 0, or with the bit of what it would
    retrain: anything else, or a file it could not find, is a failure."""
    rasa = str(Path(sys.executable).parent / "rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    validate = subprocess.run([rasa, "data", "validate"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
    dry = subprocess.run([rasa, "train", "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True)
    output = dry.stdout + dry.stderr
    assert 0 <= dry.returncode < 16 and "Traceback" not in output, output[-2000:]
    assert not re.search(r"(?i)(domain|config)\S* (file )?(not found|does not exist|is empty)", output), output[-2000:]
