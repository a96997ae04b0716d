"""The content team's checks: each problem names the file and line to fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aisle.content_check import MIN_EXAMPLES, Project, check, main
from aisle.settings import PROJECT_ROOT

INDENT = " " * 14  # inside the dedented templates below: 6 spaces, under "examples: |"
EXAMPLES = "\n".join(f"{INDENT}- hello number {n}" for n in range(MIN_EXAMPLES))
SHIPPING_EXAMPLES = "\n".join(f"{INDENT}- shipping question {n}" for n in range(MIN_EXAMPLES))

GOOD = {
    "domain.yml": """\
        version: "3.1"
        intents:
          - greet
          - shipping_policy
        slots:
          city:
            type: text
            mappings:
              - type: from_text
        responses:
          utter_greet:
            - text: "Hi!"
          utter_shipping_policy:
            - text: "3-5 days."
          utter_ask_city:
            - text: "Which city?"
          utter_from_action:
            - text: "Said by an action."
        """,
    "data/nlu/general.yml": f"""\
        version: "3.1"
        nlu:
          - intent: greet
            examples: |
{EXAMPLES}
          - intent: shipping_policy
            examples: |
{SHIPPING_EXAMPLES}
        """,
    "data/rules/rules.yml": """\
        version: "3.1"
        rules:
          - rule: Greet
            steps:
              - intent: greet
              - action: utter_greet
          - rule: Shipping FAQ
            steps:
              - intent: shipping_policy
              - action: utter_shipping_policy
        """,
    "tests/stories/test_faq.yml": """\
        version: "3.1"
        stories:
          - story: shipping
            steps:
              - user: how long does shipping take
                intent: shipping_policy
              - action: utter_shipping_policy
        """,
    "actions/things.py": 'dispatcher.utter_message(response="utter_from_action")\n',
}


def make_project(root: Path, files: dict[str, str]) -> Project:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Project(root)


def messages(project: Project) -> list[str]:
    return [str(problem).replace(f"{project.root}/", "") for problem in check(project)]


def test_a_tidy_project_has_no_problems(tmp_path: Path) -> None:
    assert messages(make_project(tmp_path, GOOD)) == []


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    broken = {**GOOD, "data/rules/rules.yml": 'version: "3.1"\nrules:\n  - rule: [unclosed\n'}
    [problem] = messages(make_project(tmp_path, broken))
    assert problem.startswith("data/rules/rules.yml:4: not valid YAML")


def test_a_missing_response_names_the_rule_line(tmp_path: Path) -> None:
    files = {
        **GOOD,
        "data/rules/rules.yml": GOOD["data/rules/rules.yml"].replace(
            "action: utter_greet", "action: utter_hello"
        ),
    }
    found = messages(make_project(tmp_path, files))
    assert (
        "data/rules/rules.yml:6: response 'utter_hello' is not in domain.yml's responses" in found
    )
    assert any("'utter_greet' is never used" in problem for problem in found)


def test_an_unused_response_names_its_domain_line(tmp_path: Path) -> None:
    files = {**GOOD, "actions/things.py": "nothing here\n"}
    assert messages(make_project(tmp_path, files)) == [
        "domain.yml:17: response 'utter_from_action' is never used "
        "(no rule, story or action says it): use it or delete it"
    ]


def test_an_intent_with_too_few_examples_is_named(tmp_path: Path) -> None:
    few = "\n".join(f"{INDENT}- hi {n}" for n in range(3))
    files = {**GOOD, "data/nlu/general.yml": GOOD["data/nlu/general.yml"].replace(EXAMPLES, few)}
    assert messages(make_project(tmp_path, files)) == [
        f"domain.yml:3: intent 'greet' has 3 training examples, needs at least {MIN_EXAMPLES} "
        "(add them under data/nlu/)"
    ]


def test_an_faq_without_a_conversation_test_is_named(tmp_path: Path) -> None:
    files = {**GOOD, "tests/stories/test_faq.yml": 'version: "3.1"\nstories: []\n'}
    assert messages(make_project(tmp_path, files)) == [
        "data/rules/rules.yml:9: FAQ 'shipping_policy' has no conversation test: "
        "add a story asking it to tests/stories/"
    ]


def test_the_command_fails_on_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {**GOOD, "actions/things.py": "nothing here\n"}
    make_project(tmp_path, files)
    assert main(["--root", str(tmp_path)]) == 1
    assert "content check: 1 problem(s)" in capsys.readouterr().out


def test_the_project_itself_passes() -> None:
    assert [str(problem) for problem in check(Project(PROJECT_ROOT))] == []
