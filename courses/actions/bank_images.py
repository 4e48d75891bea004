"""The images a question bank brings (Moodle XML's embedded files), planned for a course and
stored: part of :mod:`courses.actions.bank_import`.

An image whose content the course already has is that image, whatever its name, so importing
a bank again, or a course's own export, stores nothing twice. A new one keeps the name the
bank suggests (:func:`courses.banks.questions.image_name`) unless the course uses that name for
another picture; then the name gets a digest of the content. Every new image is checked in
the dry run as :func:`courses.actions.content_images.add_course_image` checks it when it is
stored (its type from its bytes, the size and pixel limits, the alt text), so a question whose
image would be refused is left out, with the reason, before anything is written.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from courses.actions.content_images import add_course_image
from courses.banks.questions import BankImage, BankQuestion, with_digest
from courses.errors import InvalidInput
from courses.models import ContentImage, Course

STORE, IN_COURSE = "store", "in the course"
_ALT_LENGTH = ContentImage._meta.get_field("alt_text").max_length or 300


@dataclass(frozen=True)
class PlannedImage:
    name: str  # the course image's
    filename: str  # the bank's
    alt: str
    action: str  # STORE or IN_COURSE
    questions: tuple[str, ...]  # the names of the questions showing it
    digest: str = ""  # of the content
    width: int = 0
    height: int = 0
    data: bytes = field(default=b"", repr=False)


@dataclass
class ImagePlan:
    images: list[PlannedImage] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)  # id(question) -> reasons


def _stored_digests(course: Course) -> dict[str, str]:
    """The course's image names by the digest of their content (images whose file is gone
    are left out)."""
    found: dict[str, str] = {}
    for image in ContentImage.objects.filter(course=course).order_by("name"):
        try:
            with image.file.open("rb") as stored:
                found.setdefault(hashlib.sha256(stored.read()).hexdigest(), image.name)
        except (OSError, ValueError):
            continue
    return found


def _refusal(course: Course, name: str, image: BankImage) -> tuple[str, int, int]:
    """Why the image would be refused ("" if it would not), and its size."""
    candidate = ContentImage(course=course, name=name, alt_text=image.alt[:_ALT_LENGTH],
                             file=ContentFile(image.data, name=image.filename[-100:] or "x"))
    try:
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return " ".join(error.messages), 0, 0
    return "", candidate.width, candidate.height


def _free_name(wanted: str, digest: str, taken: set[str]) -> str:
    name = wanted if wanted not in taken else with_digest(wanted, digest)
    number = 2
    while name in taken:
        name = f"{with_digest(wanted, digest)[:76]}-{number}"
        number += 1
    return name


def read_image_plan(course: Course, questions: Iterable[BankQuestion]) -> tuple[
        ImagePlan, dict[str, str]]:
    """The images these questions show, each new one checked; and the bank's image names
    that become another course image name."""
    users: dict[str, list[BankQuestion]] = {}
    images: dict[str, BankImage] = {}
    for question in questions:
        for image in question.images:
            images.setdefault(image.digest, image)
            users.setdefault(image.digest, []).append(question)
    plan, renamed = ImagePlan(), dict[str, str]()
    if not images:
        return plan, renamed
    stored = _stored_digests(course)
    taken = set(ContentImage.objects.filter(course=course).values_list("name", flat=True))
    for digest, image in images.items():
        names = tuple(question.name for question in users[digest])
        if digest in stored:
            name, action, reason, width, height = stored[digest], IN_COURSE, "", 0, 0
        else:
            name, action = _free_name(image.name, digest, taken), STORE
            reason, width, height = _refusal(course, name, image)
        taken.add(name)
        if name != image.name:
            renamed[image.name] = name
        if reason:
            for question in users[digest]:
                plan.refused.setdefault(id(question), []).append(
                    f"the image {image.filename!r} cannot be stored: {reason}")
            continue
        plan.images.append(PlannedImage(name, image.filename, image.alt, action, names, digest,
                                        width, height, image.data))
    return plan, renamed


def add_bank_images(course: Course, images: Iterable[PlannedImage]) -> list[ContentImage]:
    """Stores the new images (inside the import's transaction); :class:`InvalidInput` when
    one is refused after all (another upload took its name since the dry run), with the
    files stored before it removed."""
    made: list[ContentImage] = []
    for image in images:
        if image.action != STORE:
            continue
        try:
            made.append(add_course_image(course, image.name, image.alt[:_ALT_LENGTH],
                                         image.data, image.filename[-100:] or "x"))
        except ValidationError as error:
            for done in made:
                done.file.delete(save=False)
            raise InvalidInput(f"The image {image.filename!r} could not be stored as "
                               f"{image.name!r}: {' '.join(error.messages)} Preview the "
                               "import again.") from error
    return made
