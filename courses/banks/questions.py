"""What a parsed bank holds: questions as plain data, and the problems found, each with where
it is (the question's name and the line it starts on)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.utils.text import slugify

from courses.rules import MAX_KEY_LENGTH

CHOICE, NUMERIC, TEXT = "choice", "numeric", "text"
# The tag learnpath's Moodle export gives each question for its difficulty (Moodle has none).
DIFFICULTY_TAG = "learnpath-difficulty-"


def difficulty_of(tags: list[str]) -> tuple[int, list[str]]:
    """The difficulty a question's tags carry (2 when none do) and its other tags."""
    found = [t for t in tags if t.startswith(DIFFICULTY_TAG)]
    level = found[0].removeprefix(DIFFICULTY_TAG) if found else "2"
    return (int(level) if level in {"1", "2", "3", "4", "5"} else 2), [
        t for t in tags if not t.startswith(DIFFICULTY_TAG)]


@dataclass(frozen=True)
class BankChoice:
    text: str
    correct: bool
    feedback: str = ""


IMAGE_NAME_LENGTH = 80  # ContentImage.name's
_DIGEST_LENGTH = 8


@dataclass(frozen=True)
class BankImage:
    """An image a question's text shows: ``name`` is the course image it becomes (it may
    change when the course already has a different image of that name), ``filename`` the file
    as the bank names it, ``alt`` the alt text the first text showing it gives."""

    name: str
    filename: str
    data: bytes
    alt: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def image_name(filename: str) -> str:
    """The course image name a file's name suggests: ``Number line (1).png`` ->
    ``number-line-1``."""
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = slugify(stem).replace("_", "-").strip("-")[: IMAGE_NAME_LENGTH - _DIGEST_LENGTH - 1]
    return name.strip("-") or "image"


def with_digest(name: str, digest: str) -> str:
    """``name`` made unique by the content it names."""
    suffix = f"-{digest[:_DIGEST_LENGTH]}"
    return name if name.endswith(suffix) else name[: IMAGE_NAME_LENGTH - len(suffix)] + suffix


@dataclass
class BankQuestion:
    """One question as the bank has it, in the exercise kinds learnpath knows."""

    name: str
    line: int
    kind: str
    prompt: str
    category: str = ""  # "Fractions/Adding" (Moodle's path below $course$/top)
    tags: list[str] = field(default_factory=list)
    choices: list[BankChoice] = field(default_factory=list)
    answer: float | None = None  # numerical
    tolerance: float = 0.0
    accepted: list[str] = field(default_factory=list)  # short answer
    hint: str = ""
    solution: str = ""
    images: list[BankImage] = field(default_factory=list)
    source_id: str = ""  # Moodle's idnumber, when set: the question's identity across exports
    difficulty: int = 2  # 1-5: from a learnpath-difficulty-N tag (learnpath's own export)

    @property
    def where(self) -> str:
        return f"line {self.line}, question {self.name!r}"


@dataclass(frozen=True)
class BankProblem:
    line: int
    question: str  # its name, or "" when the problem is not in one question
    message: str
    skipped: bool = True  # False: a note on a question that is imported all the same

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", question {self.question!r}" if self.question else "")
        return f"{where}: {self.message}" + ("" if self.skipped else " (imported anyway)")


@dataclass
class ParsedBank:
    questions: list[BankQuestion] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)

    def problem(self, line: int, question: str, message: str) -> None:
        """Something that keeps a question (or the whole file) out."""
        self.problems.append(BankProblem(line, question, message))

    def note(self, question: BankQuestion, message: str) -> None:
        """Something about a question that is imported all the same."""
        self.problems.append(BankProblem(question.line, question.name, message, skipped=False))

    @property
    def skipped(self) -> list[BankProblem]:
        return [problem for problem in self.problems if problem.skipped]

    def finish(self) -> ParsedBank:
        """The bank, with a problem saying so when it holds nothing at all."""
        if not self.questions and not self.problems:
            self.problem(1, "", "the file holds no questions")
        return self


def exercise_key(question: BankQuestion) -> str:
    """A stable key for the question: its idnumber, else its name and a digest of its place."""
    if question.source_id:
        base = slugify(question.source_id)[: MAX_KEY_LENGTH] or "question"
        return base if base[0].isalnum() else f"q{base}"[:MAX_KEY_LENGTH]
    digest = hashlib.sha256(f"{question.category}/{question.name}".encode()).hexdigest()[:8]
    base = (slugify(question.name)[: MAX_KEY_LENGTH - 9] or "question").strip("-_") or "question"
    return f"{base}-{digest}"


_TOP = re.compile(r"^\$(course|cat\d*|module|system)\$/(top/?)?")


def category_path(raw: str) -> str:
    """A Moodle category below its context and ``top``: ``$course$/top/A/B`` -> ``A/B``."""
    return _TOP.sub("", raw.strip()).strip("/")


def finite_number(text: str, *, decimal_comma: bool = False) -> float | None:
    """The number written, or None when it is not one (or not finite)."""
    try:
        value = float(text.strip().replace(",", ".") if decimal_comma else text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def decoded(raw: bytes | str, bank: ParsedBank) -> str | None:
    """The file's text (UTF-8, a byte-order mark allowed); None, with the problem, if not."""
    if isinstance(raw, str):
        return raw
    return decoded_as(raw, "utf-8-sig", bank)


def decoded_as(raw: bytes, encoding: str, bank: ParsedBank) -> str | None:
    """``raw`` decoded; None, with the problem and the line where it is, if it cannot be."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bank.problem(line, "", f"the file is not {encoding.removesuffix('-sig').upper()} text "
                     f"(byte {error.start + 1} cannot be read)")
        return None
