"""The MFA strength suite's own measures, on samples whose entropy is known: what it calls
enough must be enough, and what it calls too little must be too little."""
from __future__ import annotations

import base64
import os
import random

import pytest

from spine_harness.mfa import recovery, strength, totp
from spine_harness.mfa.clock import ManualClock


def test_the_bit_estimate_finds_the_random_bits_and_only_those():
    full = [strength.bits(os.urandom(20)) for _ in range(64)]
    padded = [strength.bits(os.urandom(10) + bytes(10)) for _ in range(64)]
    assert 150 <= strength.estimated_bits(full) <= 160
    assert 75 <= strength.estimated_bits(padded) <= 80
    assert strength.near_constant_bits(full) == [] and strength.near_constant_bits(padded) == list(range(80, 160))


def test_the_character_estimate_of_recovery_codes():
    good = [recovery.new_code() for _ in range(200)]
    short = [base64.b32encode(os.urandom(8)).decode().rstrip("=") for _ in range(200)]
    assert 112 <= strength.estimated_bits(good) <= 120
    assert strength.estimated_bits(short) <= 65
    assert strength.estimated_bits(["ABCD-EFGH"] * 50) == 0


def test_repeats_are_counted():
    seeded = [random.Random(7).randbytes(20) for _ in range(5)]
    assert strength.repeated(seeded) == 4 and strength.repeated([b"a", b"b"]) == 0


def test_single_changes_touch_one_position_and_skip_what_would_be_right():
    alphabets = ["0123456789"] * 6
    changed = strength.single_changes("123456", alphabets, avoid={"023456"})
    assert set(changed) == set(range(6))
    assert all(sum(a != b for a, b in zip(code, "123456")) == 1 for code in changed.values())
    assert changed[0] == "223456"
    assert strength.single_changes("a-b", [["a", "b"], ["-"], ["a", "b", "B"]]) == {0: "b-b", 2: "a-a"}


@pytest.mark.parametrize("at", [3600.0, 1_900_000_020.0, 1_900_000_049.0])
def test_the_wrong_totp_code_differs_everywhere_and_is_no_code_of_the_window(at):
    secret = totp.new_secret()
    wrong, right = strength.wrong_totp_code(secret, at), totp.code_at(secret, at)
    assert len(wrong) == len(right) and all(a != b for a, b in zip(wrong, right))
    assert all(wrong != totp.code_at(secret, at + n * totp.STEP_SECONDS) for n in range(-2, 3))


def test_the_manual_clock_moves_only_when_told():
    clock = ManualClock(100)
    assert (clock(), clock.advance(5), clock(), clock.set(7), clock()) == (100, 105, 105, 7, 7)
