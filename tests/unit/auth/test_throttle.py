"""Sign-in throttling: refilling token buckets, reserved atomically before the password is checked."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy

from bildgen.auth import accounts, throttle

NOW = 1_800_000_000.0


def reserve_all(engine, username: str, address: str, times: int, now: float = NOW) -> list[int]:
    return [throttle.reserve(engine, throttle.Keys.of(username, address), now=now) for _ in range(times)]


def test_forty_simultaneous_wrong_guesses_get_only_the_bursts_password_checks(engine):
    accounts.create_account(engine, "anna", "correct horse", signup_open=True, admin_username=None)
    start = threading.Barrier(40)

    def guess(_):
        start.wait()
        try:
            accounts.authenticate(engine, "anna", "wrong guess", address="6.6.6.6")
        except accounts.SignInRefused as refused:
            return refused.code

    with ThreadPoolExecutor(40) as pool:
        answers = Counter(pool.map(guess, range(40)))
    # "wrong" means the password was checked; every other attempt was refused before argon2 ran.
    assert answers == {"wrong": throttle.PAIR.capacity, "wait": 40 - throttle.PAIR.capacity}


def test_failed_attempts_refill_over_time_instead_of_counting_forever(engine):
    assert reserve_all(engine, "anna", "1.2.3.4", throttle.PAIR.capacity) == [0] * throttle.PAIR.capacity
    wait = reserve_all(engine, "anna", "1.2.3.4", 1)[0]
    assert wait == throttle.PAIR.refill_every_s
    # One refill later there is exactly one more attempt, not a reset and not a doubled wait.
    later = NOW + throttle.PAIR.refill_every_s
    assert reserve_all(engine, "anna", "1.2.3.4", 2, now=later) == [0, throttle.PAIR.refill_every_s]
    # After a quiet while the whole burst is back.
    much_later = later + throttle.PAIR.capacity * throttle.PAIR.refill_every_s
    assert (
        reserve_all(engine, "anna", "1.2.3.4", throttle.PAIR.capacity, now=much_later) == [0] * throttle.PAIR.capacity
    )


def test_an_attacker_elsewhere_cannot_lock_the_victim_out(engine):
    attacker = reserve_all(engine, "anna", "6.6.6.6", throttle.PAIR.capacity + 10)
    assert attacker[-1] > 0
    assert reserve_all(engine, "anna", "1.2.3.4", 1) == [0]


def test_a_shared_address_full_of_typos_does_not_lock_out_the_next_person(engine):
    # Behind a reverse proxy everyone shares one address: twenty typos by twenty people ...
    for person in range(20):
        assert reserve_all(engine, f"user{person}", "10.0.0.1", 1) == [0]
    # ... leave the twenty-first free to sign in.
    assert reserve_all(engine, "user20", "10.0.0.1", 1) == [0]


def test_one_address_guessing_across_many_accounts_is_slowed_down(engine):
    for person in range(throttle.ADDRESS.capacity):
        assert reserve_all(engine, f"user{person}", "6.6.6.6", 1) == [0]
    assert reserve_all(engine, "one-more", "6.6.6.6", 1) == [throttle.ADDRESS.refill_every_s]
    # The refill lets it go on, slowly.
    assert reserve_all(engine, "one-more", "6.6.6.6", 1, now=NOW + throttle.ADDRESS.refill_every_s) == [0]


def test_an_ipv6_client_cannot_escape_by_changing_addresses_inside_its_64(engine):
    for host in range(1, throttle.ADDRESS.capacity + 1):
        assert reserve_all(engine, f"user{host}", f"2001:db8::{host:x}", 1) == [0]
    assert reserve_all(engine, "next", "2001:db8::ffff", 1)[0] > 0
    assert reserve_all(engine, "next", "2001:db8:0:1::1", 1) == [0]


def test_a_successful_sign_in_forgives_its_own_typos(engine):
    keys = throttle.Keys.of("anna", "1.2.3.4")
    reserve_all(engine, "anna", "1.2.3.4", throttle.PAIR.capacity - 1)
    assert throttle.reserve(engine, keys, now=NOW) == 0
    throttle.succeeded(engine, keys, now=NOW)
    assert reserve_all(engine, "anna", "1.2.3.4", throttle.PAIR.capacity) == [0] * throttle.PAIR.capacity


def test_buckets_full_again_are_forgotten_and_emptied_ones_are_kept(engine):
    reserve_all(engine, "anna", "1.2.3.4", 1)
    reserve_all(engine, "bob", "5.6.7.8", 1)
    later = NOW + 3600
    reserve_all(engine, "eve", "6.6.6.6", throttle.PAIR.capacity, now=later)
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT count(*) FROM signinbucket")).scalar() == 6
    # Anna's and Bob's buckets (pair and address each) are full again by now; Eve's are not.
    assert throttle.forget_full_buckets(engine, now=later) == 4
    assert reserve_all(engine, "eve", "6.6.6.6", 1, now=later) == [throttle.PAIR.refill_every_s]
    assert reserve_all(engine, "anna", "1.2.3.4", throttle.PAIR.capacity, now=later) == [0] * throttle.PAIR.capacity
