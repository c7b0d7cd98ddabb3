"""The OpenAPI schema of the request bodies, built from the questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)

from forms.kinds import kind_of
from forms.questionnaire import QUESTIONS, Question
from incidents.controllers.api_common import NOTE_MAX, VERSION_HELP

# --- the request body schema, from the questionnaire ----------------------------------


def _schema(spec: Mapping[str, Any]) -> Schema:
    """A JSON schema (a dict, as forms/kinds.py gives it) as Litestar's Schema."""
    fields: dict[str, Any] = {}
    for name, value in spec.items():
        if name == "type":
            value = (
                [OpenAPIType(t) for t in value] if isinstance(value, list) else OpenAPIType(value)
            )
        elif name == "items":
            value = _schema(value)
        elif name == "format":
            value = OpenAPIFormat(value)
        fields[_SCHEMA_FIELDS.get(name, name)] = value
    return Schema(**fields)


_SCHEMA_FIELDS = {"maxLength": "max_length"}


def _answer_schema(question: Question) -> Schema:
    return _schema(kind_of(question).schema(question))


def answers_schema(*, with_controls: bool, with_version: bool = False) -> Schema:
    properties: dict[str, Schema | Reference] = {
        key: _answer_schema(q) for key, q in QUESTIONS.items()
    }
    if with_version:
        properties["version"] = Schema(
            type=OpenAPIType.INTEGER, minimum=0, description=VERSION_HELP + " (or If-Match)"
        )
    if with_controls and not with_version:  # filing: controllers chosen by group too
        properties["controller_groups"] = Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING),
            description=(
                'Controller groups ("*": every controller) whose members are added to '
                "`controllers`; the incident keeps the groups it was filed with"
            ),
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
