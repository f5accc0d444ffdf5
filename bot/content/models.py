"""Pydantic models of everything the assistant says: the schema a ward officer edits in YAML.

Each model rejects what would break a chat (empty sources, over-long texts, quiz questions without
exactly one right answer) so mistakes surface in `python -m bot check`, never in front of a parent.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.content.topics import TOPICS

ANSWER_LIMIT = 1500
TIP_LIMIT = 400

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,40}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]
Audience = Literal["parent", "student", "teacher", "all"]
AgeBand = Literal["6-10", "11-14", "15-17", "parent", "all"]


def _known_topic(value: str) -> str:
    if value not in TOPICS:
        raise ValueError(f"chủ đề '{value}' không có trong danh sách TOPICS")
    return value


TopicId = Annotated[str, AfterValidator(_known_topic)]


class Strict(BaseModel):
    """Unknown keys are typos in a hand-edited file: reject them instead of ignoring them."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Faq(Strict):
    id: Slug
    topic: TopicId
    audience: Audience = "all"
    question: Text
    variants: list[Text] = Field(min_length=3)
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=ANSWER_LIMIT)]
    related: list[Slug] = []
    tags: list[str] = []
    source: Source


class Tip(Strict):
    id: Slug
    topic: TopicId
    audience: Audience = "all"
    age_band: AgeBand = "all"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=TIP_LIMIT)]
    source: Source


class QuizOption(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    correct: bool = False


class QuizQuestion(Strict):
    id: Slug
    topic: TopicId
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=600)]
    options: list[QuizOption] = Field(min_length=2, max_length=4)
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=800)]

    @model_validator(mode="after")
    def _exactly_one_correct(self) -> QuizQuestion:
        right = sum(option.correct for option in self.options)
        if right != 1:
            raise ValueError(f"câu hỏi '{self.id}' phải có đúng 1 đáp án đúng (đang có {right})")
        return self


class QuizResult(Strict):
    min_percent: int = Field(ge=0, le=100)
    text: Text


class Quiz(Strict):
    id: Slug
    title: Text
    audience: Audience
    age_band: AgeBand
    intro: Text
    questions: list[QuizQuestion] = Field(min_length=3)
    results: list[QuizResult] = Field(min_length=1)
    source: Source

    @model_validator(mode="after")
    def _results_cover_zero(self) -> Quiz:
        if not any(result.min_percent == 0 for result in self.results):
            raise ValueError(f"bộ câu hỏi '{self.id}' cần một kết quả với min_percent: 0")
        return self


class Contact(Strict):
    id: Slug
    name: Text
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9 .+()-]{3,20}$")] | None = None
    description: Text
    hours: str = ""
    placeholder: bool = False
    source: Source


class Guide(Strict):
    """How to report one kind of problem: the steps a parent follows, in order."""

    id: Slug
    title: Text
    topic: TopicId
    button: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)]
    summary: Text
    immediate: list[Text] = Field(min_length=1)
    evidence: list[Text] = Field(min_length=1)
    never: list[Text] = []
    report_where: list[Text] = Field(min_length=1)
    call: list[Text] = Field(min_length=1)
    source: Source


class Activity(Strict):
    id: Slug
    title: Text
    when: str = ""
    where: str = ""
    description: Text
    age_band: AgeBand = "all"
    kind: Literal["ward_programme", "online"] = "ward_programme"
    example: bool = False
    source: Source


OUT_OF_SCOPE = "__out_of_scope__"


class OutOfScope(Strict):
    """Things residents ask the ward that are not ours (papers, weather, prices): recognising them
    lets the assistant say where to go instead of guessing an unrelated answer."""

    id: Slug
    label: Text
    phrases: list[Text] = Field(min_length=3)
    reply: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=600)]

    @property
    def question(self) -> str:
        return self.label

    @property
    def variants(self) -> list[str]:
        return self.phrases

    @property
    def topic(self) -> str:
        return OUT_OF_SCOPE


class Duty(Strict):
    id: Slug
    title: Text
    items: list[Text] = Field(min_length=1)
    source: Source


class ConventionClause(Strict):
    id: Slug
    text: Text
    source: Source


class Duties(Strict):
    duties: list[Duty] = Field(min_length=1)
    convention_clauses: list[ConventionClause] = Field(min_length=1)


DANGER_FAMILIES = ("self_harm", "sextortion", "meeting", "violence", "missing", "abuse")
ORDINARY_KINDS = ("general", "hypothetical", "past", "news", "idiom", "fiction", "worry")


class DangerExample(Strict):
    """One message as people really write it, in danger now (`crisis: true`) or only sounding
    like it (`crisis: false`): what the danger detector learns from (knowledge/danger_examples/)."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2000)]
    crisis: bool
    family: str
    voice: str | None = None
    style: str | None = None

    @model_validator(mode="after")
    def _family_fits(self) -> DangerExample:
        allowed = DANGER_FAMILIES if self.crisis else ORDINARY_KINDS
        if self.family not in allowed:
            verdict = "true" if self.crisis else "false"
            raise ValueError(f"family '{self.family}' không hợp với crisis: {verdict} (chọn một: {', '.join(allowed)})")
        return self
