"""Property: whatever bytes a client sends, with header names in whatever case, the Lambda path
gives them back exactly: request → event (every shape, base64 or text) → handler → result.

POST /echo returns its body byte for byte, so any change on the way in or out shows.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_events import SHAPES, FakeLambdaContext, build_event, read_result

import handler

# 10 shape/encoding pairs × 60 examples ≈ 600 invocations: a few seconds in all.
EXAMPLES = 60


def any_casing(name: str) -> st.SearchStrategy[str]:
    """`name` with each letter in either case: 'cOnTeNt-TyPe'."""
    return st.tuples(*(st.sampled_from(sorted({c.lower(), c.upper()})) for c in name)).map("".join)


header_value_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
).map(str.strip)


@st.composite
def requests(draw: st.DrawFn, body: st.SearchStrategy[bytes]) -> tuple[bytes, list[Any]]:
    """A body and headers: Content-Type and Content-Length always, a few others, any casing."""
    data = draw(body)
    headers = [
        (draw(any_casing("content-type")), "application/octet-stream"),
        (draw(any_casing("content-length")), str(len(data))),
    ]
    extra_names = draw(
        st.lists(st.sampled_from(["x-request-note", "accept", "user-agent"]), unique=True)
    )
    headers += [(draw(any_casing(name)), draw(header_value_text)) for name in extra_names]
    return data, draw(st.permutations(headers))


arbitrary_bytes = st.binary(max_size=4096)
# A text event body (isBase64Encoded false) can only carry what UTF-8 can spell.
utf8_bytes = st.text(max_size=1024).map(lambda s: s.encode("utf-8"))


@pytest.mark.parametrize("base64_body", [True, False], ids=["base64", "text"])
@pytest.mark.parametrize("shape", SHAPES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_echo_preserves_the_bytes_exactly(
    shape: str, base64_body: bool, data: st.DataObject
) -> None:
    body, headers = data.draw(requests(arbitrary_bytes if base64_body else utf8_bytes))
    event = build_event(
        shape, method="POST", path="/echo", headers=headers, body=body, base64_body=base64_body
    )
    response = read_result(handler.handler(event, FakeLambdaContext()))
    assert response.status == 200
    assert response.body == body
    assert response.header("content-type") == "application/octet-stream"


@settings(max_examples=EXAMPLES, deadline=None)
@given(body=arbitrary_bytes, shape=st.sampled_from(SHAPES))
def test_the_event_is_not_changed_by_handling_it(body: bytes, shape: str) -> None:
    event = build_event(shape, method="POST", path="/echo", body=body)
    before = json.dumps(event, sort_keys=True)
    handler.handler(event, FakeLambdaContext())
    assert json.dumps(event, sort_keys=True) == before


valid_base64 = st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode("ascii"))


@st.composite
def damaged_base64(draw: st.DrawFn) -> str:
    """Valid base64 with one character inserted somewhere: usually invalid, sometimes not."""
    text = draw(valid_base64)
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.sampled_from("=\n -_!éA")) + text[at:]


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(
    raw=st.one_of(st.text(max_size=64), valid_base64, damaged_base64()),
    shape=st.sampled_from(SHAPES),
)
def test_any_base64_flagged_text_gets_an_answer_not_an_exception(raw: str, shape: str) -> None:
    """Valid base64 is echoed decoded, anything else is a 400 problem; nothing raises."""
    event = build_event(shape, method="POST", path="/echo", body=b"x")
    event["body"] = raw
    response = read_result(handler.handler(event, FakeLambdaContext()))
    try:
        expected = base64.b64decode(raw.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        assert response.status == 400
        assert json.loads(response.body)["type"] == "/problems/malformed-event"
    else:
        assert response.status == 200
        assert response.body == expected
