"""Checks of the content team's files that ``rasa data validate`` does not make.

Each problem names the file and line to fix, so someone editing YAML (not
Python) can act on it without reading a stack trace:

- every file in ``data/``, ``tests/stories/`` and ``domain.yml`` is valid YAML;
- every intent has at least ``MIN_EXAMPLES`` training examples;
- every response is used: by a rule or story, by a custom action
  (``response="utter_..."`` in ``actions/``), or as a form's question
  (``utter_ask_<slot>``);
- every response a rule or story names exists;
- every FAQ (an intent a rule answers with one response or one
  ``action_explain_*``, e.g. the shipping policy) is asked in at least one
  conversation test.

Usage: ``python -m aisle.content_check`` (``make validate`` runs it after
``rasa data validate``); exits 1 when there is a problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from aisle.settings import PROJECT_ROOT

MIN_EXAMPLES = 10
# Responses Rasa itself uses without a rule naming them.
RASA_OWN_RESPONSES = {"utter_default"}
_ACTION_RESPONSE = re.compile(r"""response\s*=\s*["'](utter_\w+)["']""")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{_relative(self.path)}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Located:
    """A value found in a YAML file, with the line it is on (1-based)."""

    value: str
    path: Path
    line: int


@dataclass
class Project:
    """The files the checks read; tests point it at small broken copies."""

    root: Path

    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    def yaml_files(self, folder: str) -> list[Path]:
        return sorted((self.root / folder).rglob("*.yml"))

    def action_sources(self) -> list[Path]:
        return sorted((self.root / "actions").rglob("*.py"))


def check(project: Project) -> list[Problem]:
    """Every problem in the project's content files, in file order."""
    documents, problems = _load_all(project)
    if problems:  # the other checks need every file readable
        return problems
    domain = documents[project.domain]
    training = [documents[path] for path in project.yaml_files("data")]
    tests = [documents[path] for path in project.yaml_files("tests/stories")]
    return [
        *_too_few_examples(domain, training),
        *_unknown_responses(domain, training),
        *_unused_responses(domain, training, project),
        *_untested_faqs(training, tests, project),
    ]


def _load_all(project: Project) -> tuple[dict[Path, yaml.Node], list[Problem]]:
    paths = [project.domain, *project.yaml_files("data"), *project.yaml_files("tests/stories")]
    documents: dict[Path, yaml.Node] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            with path.open(encoding="utf-8") as stream:  # named stream: marks carry the path
                node = yaml.compose(stream)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            line = mark.line + 1 if mark is not None else 1
            problems.append(Problem(path, line, f"not valid YAML: {error.problem}"))
            continue
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(Problem(path, 1, f"can't be read: {error}"))
            continue
        documents[path] = node if node is not None else yaml.MappingNode("tag", [])
    return documents, problems


# --- reading YAML nodes with their lines ----------------------------------


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for name, value in node.value if name.value == key), None)


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _keys(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _located(node: yaml.Node) -> Located:
    return Located(str(node.value), Path(node.start_mark.name), node.start_mark.line + 1)


def _steps(document: yaml.Node, section: str) -> Iterator[yaml.Node]:
    for block in _items(_get(document, section)):
        yield from _items(_get(block, "steps"))


# --- the checks -------------------------------------------------------------


def _too_few_examples(domain: yaml.Node, training: Sequence[yaml.Node]) -> list[Problem]:
    counts: dict[str, int] = {}
    for document in training:
        for block in _items(_get(document, "nlu")):
            intent = _get(block, "intent")
            examples = _get(block, "examples")
            if intent is not None and examples is not None:
                lines = [line for line in str(examples.value).splitlines() if line.strip()]
                counts[intent.value] = counts.get(intent.value, 0) + len(lines)
    problems = []
    for node in _items(_get(domain, "intents")):
        # An intent is a name, or a name with options ("- greet: {use_entities: []}").
        name = node.value if isinstance(node, yaml.ScalarNode) else _keys(node)[0][0].value
        if counts.get(name, 0) < MIN_EXAMPLES:
            problems.append(
                _problem_at(
                    node,
                    f"intent '{name}' has {counts.get(name, 0)} training examples, "
                    f"needs at least {MIN_EXAMPLES} (add them under data/nlu/)",
                )
            )
    return problems


def _problem_at(node: yaml.Node, message: str) -> Problem:
    where = _located(node)
    return Problem(where.path, where.line, message)


def _named_responses(training: Sequence[yaml.Node]) -> Iterator[yaml.Node]:
    """Every ``action: utter_...`` step of the rules and stories."""
    for document in training:
        for section in ("rules", "stories"):
            for step in _steps(document, section):
                action = _get(step, "action")
                if action is not None and str(action.value).startswith("utter_"):
                    yield action


def _responses(domain: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    return _keys(_get(domain, "responses"))


def _unknown_responses(domain: yaml.Node, training: Sequence[yaml.Node]) -> list[Problem]:
    known = {name.value for name, _ in _responses(domain)}
    return [
        _problem_at(action, f"response '{action.value}' is not in domain.yml's responses")
        for action in _named_responses(training)
        if action.value not in known
    ]


def _unused_responses(
    domain: yaml.Node, training: Sequence[yaml.Node], project: Project
) -> list[Problem]:
    used = {action.value for action in _named_responses(training)}
    used |= set(_responses_in_actions(project.action_sources()))
    used |= {f"utter_ask_{slot.value}" for slot, _ in _keys(_get(domain, "slots"))}
    used |= RASA_OWN_RESPONSES
    return [
        _problem_at(
            name,
            f"response '{name.value}' is never used (no rule, story or action says it): "
            "use it or delete it",
        )
        for name, _ in _responses(domain)
        if name.value not in used
    ]


def _responses_in_actions(sources: Iterable[Path]) -> Iterator[str]:
    for source in sources:
        yield from _ACTION_RESPONSE.findall(source.read_text(encoding="utf-8"))


def _faq_rules(training: Sequence[yaml.Node]) -> list[tuple[str, yaml.Node]]:
    """Intents a rule answers with one answer and nothing else: (intent, its node)."""
    faqs = []
    for document in training:
        for rule in _items(_get(document, "rules")):
            if _get(rule, "condition") is not None:
                continue
            steps = _items(_get(rule, "steps"))
            if len(steps) != 2:
                continue
            intent, action = _get(steps[0], "intent"), _get(steps[1], "action")
            if intent is not None and action is not None and _answers(str(action.value)):
                faqs.append((str(intent.value), intent))
    return faqs


def _answers(action: str) -> bool:
    """Whether an action only answers (a response, or an ``action_explain_*`` from a file)."""
    return action.startswith(("utter_", "action_explain_"))


_SMALL_TALK = {"greet", "goodbye", "thank_you", "bot_challenge", "deny", "stop", "out_of_scope"}


def _untested_faqs(
    training: Sequence[yaml.Node], tests: Sequence[yaml.Node], project: Project
) -> list[Problem]:
    tested = {
        str(intent.value)
        for document in tests
        for step in _steps(document, "stories")
        if (intent := _get(step, "intent")) is not None
    }
    return [
        _problem_at(
            node,
            f"FAQ '{intent}' has no conversation test: add a story asking it to tests/stories/",
        )
        for intent, node in _faq_rules(training)
        if intent not in tested and intent not in _SMALL_TALK
    ]


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aisle.content_check", description=__doc__)
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT)
    args = parser.parse_args(argv)
    problems = check(Project(args.root))
    for problem in problems:
        print(problem)
    print(f"content check: {len(problems)} problem(s)" if problems else "content check: all good")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
