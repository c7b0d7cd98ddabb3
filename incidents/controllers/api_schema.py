"""The OpenAPI schema of the request bodies, built from the questionnaire."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from forms.questionnaire import QUESTIONS, Question
from incidents.controllers.api_common import NOTE_MAX, VERSION_HELP

# --- the request body schema, from the questionnaire ----------------------------------


def _answer_schema(question: Question) -> Schema:
    text = question.label.en
    if question.kind in {"text", "textarea", "email", "phone"}:
        return Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL],
            max_length=question.max_length,
            description=text,
            format="email" if question.kind == "email" else None,
        )
    if question.kind == "integer":
        return Schema(type=[OpenAPIType.INTEGER, OpenAPIType.NULL], minimum=0, description=text)
    if question.kind == "single":
        return Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL],
            enum=[*question.values, None],
            description=text,
        )
    if question.kind == "multi":
        items = Schema(type=OpenAPIType.STRING, enum=list(question.values))
        return Schema(type=[OpenAPIType.ARRAY, OpenAPIType.NULL], items=items, description=text)
    if question.kind == "countries":
        items = Schema(
            type=OpenAPIType.STRING,
            pattern="^[A-Za-z]{2}$",
            description="ISO 3166-1 alpha-2 code of an EU/EEA state",
        )
        return Schema(type=[OpenAPIType.ARRAY, OpenAPIType.NULL], items=items, description=text)
    if question.kind == "controllers":
        items = Schema(type=OpenAPIType.STRING, description="Controller slug")
        return Schema(type=[OpenAPIType.ARRAY, OpenAPIType.NULL], items=items, description=text)
    description = text + (
        ". ISO 8601 with an offset; a date alone (YYYY-MM-DD) means the whole day."
        if question.day_only_allowed
        else ". ISO 8601 with an offset, e.g. 2026-03-27T10:00:00+01:00."
    )
    return Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL], description=description)


def answers_schema(*, with_controls: bool, with_version: bool = False) -> Schema:
    properties: dict[str, Schema] = {key: _answer_schema(q) for key, q in QUESTIONS.items()}
    if with_version:
        properties["version"] = Schema(
            type=OpenAPIType.INTEGER, minimum=0, description=VERSION_HELP + " (or If-Match)"
        )
    if with_controls:
        properties["draft"] = Schema(
            type=OpenAPIType.BOOLEAN, description="Save a draft without the submit checks"
        )
        properties["submit"] = Schema(
            type=OpenAPIType.BOOLEAN, description="PATCH of a draft: submit it after saving"
        )
        properties["note"] = Schema(
            type=OpenAPIType.STRING, max_length=NOTE_MAX, description="What changed and why"
        )
    return Schema(type=OpenAPIType.OBJECT, properties=properties, additional_properties=False)


def _body_operation(schema: Schema, description: str | None = None) -> type[Operation]:
    """An operation whose JSON request body is ``schema`` (for bodies taken as a plain dict
    and validated by forms/, which Litestar cannot describe by itself)."""

    @dataclass
    class _Operation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=schema)},
                required=True,
                description=description,
            )

    return _Operation


_AnswersOperation = _body_operation(
    answers_schema(with_controls=True),
    "Questionnaire answers by key (../shared/spec/questionnaire.md)",
)
_ChangeOperation = _body_operation(
    answers_schema(with_controls=True, with_version=True),
    "Answers to change by key (null removes one), with the controls and the version the "
    "change is based on",
)
