"""Vectorised month-by-month simulation of one block of customers.

Every customer holds at most one live item per product ("slot" = product index). Each simulated month
applies, for all customers of the block at once: sign-ups (optionally with a trial), resumes of paused
items, customer churn, reactivation, per-item changes (seats, tier, price, discount, interval, pause,
product churn), cross-sell, add-on purchases, one-time charges, metered usage and usage snapshots.
The only Python loops are over months (and the handful of products), never over customers.

Usage drives expansion and churn (the expansion signal):
- each live core item has a usage level (active users for Workspace and Insights, API calls a month for
  Connect API) that grows by the item's own monthly drift; storage and projects are fixed multiples of it.
  Usage is measured against the item's plan limits (plan_limits: per seat for Workspace users and storage);
- a customer whose usage reached a limit (as of the last month-end) buys seats (a seat limit) or moves up a
  tier (a plan limit) with a high monthly probability, one approaching it (>= 80 %) sometimes; a few
  customers tolerate running over their limits for long. Usage far over a limit stops growing;
- a customer can fall into decline: its usage falls every month, it gives back seats and tiers, and most
  declining customers churn a few months later (some recover). Customers rarely churn without declining
  first, so falling usage precedes churn;
- purchases (seats, upgrades, cross-sell, add-ons) follow a yearly season (SEASON: a strong December and
  January, a weak summer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .catalog import (
    ADDON_BASE,
    AI,
    API,
    CORE_PRODUCTS,
    CUR_USD,
    INS,
    IV_MONTH,
    IV_QUARTER,
    IV_WEEK,
    IV_YEAR,
    M_CALLS,
    M_LOGINS,
    M_STORAGE,
    N_PRODUCTS,
    PLAN_LIMITS,
    SCALE,
    SEC,
    TT,
    WS,
    Catalog,
)

DAY = 86_400
E_STARTED, E_CHANGED, E_PAUSED, E_RESUMED, E_ENDED = range(5)
EVENT_TYPES = ("item_started", "item_changed", "item_paused", "item_resumed", "item_ended")
OTC_CATEGORIES = ("setup", "services", "training")

# per-item monthly probabilities of changes that do not come from usage (usage-driven seat and tier changes:
# _usage_driven): seat_up, seat_down, upgrade, downgrade, price, discount, interval change, pause, end
# (product churn / add-on cancellation)
K_SEAT_UP, K_SEAT_DOWN, K_UP, K_DOWN, K_PRICE, K_DISC, K_IVAL, K_PAUSE, K_END = range(9)
N_KINDS = 9
CHANGE_PROB = np.array(
    [
        [0.010, 0.010, 0.001, 0.006, 0.004, 0.003, 0.004, 0.005, 0.010],  # workspace
        [0.000, 0.000, 0.003, 0.008, 0.006, 0.004, 0.005, 0.006, 0.012],  # insights
        [0.000, 0.000, 0.000, 0.008, 0.000, 0.000, 0.000, 0.000, 0.015],  # connect api
        [0.010, 0.010, 0.000, 0.000, 0.004, 0.003, 0.003, 0.000, 0.025],  # time tracking
        [0.000, 0.000, 0.000, 0.000, 0.005, 0.004, 0.004, 0.000, 0.025],  # security
        [0.000, 0.000, 0.000, 0.000, 0.005, 0.004, 0.004, 0.000, 0.025],  # ai assistant
    ]
)
# yearly season of purchases (January .. December, mean 1): budgets in December and January, a quiet summer
SEASON = np.array([1.50, 1.10, 1.20, 0.90, 0.85, 1.00, 0.50, 0.45, 0.90, 1.00, 1.20, 1.70])
SEASON = SEASON / SEASON.mean()
SEASONAL_KINDS = (K_SEAT_UP, K_UP)
# usage-driven purchases: monthly probability by utilisation band (>= 1, >= 0.9, >= 0.8) for an eager
# customer; a tolerant one (TOLERANT_SHARE of customers) buys TOLERANT_FACTOR as often
BUY_PROB = (0.85, 0.10, 0.02)
TOLERANT_SHARE, TOLERANT_FACTOR = 0.10, 0.3
USAGE_NOISE = 0.01  # monthly log noise of a healthy customer's usage around its drift
OVER_LIMIT_CAP = 1.15  # usage above this share of its limit stops growing
TOP_TIER_CEILING = 0.85  # on the top tier, usage of a plan limit levels off at this share of it
# decline: monthly hazard of entering it = the customer's churn hazard; declining customers churn with
# DECLINE_CHURN a month from their DECLINE_GRACE-th month on and recover with DECLINE_RECOVER; healthy
# customers churn suddenly with SUDDEN_CHURN x their hazard
DECLINE_GRACE, DECLINE_CHURN, DECLINE_RECOVER, SUDDEN_CHURN = 3, 0.30, 0.05, 0.15
DECLINE_DRIFT = -0.15  # monthly log change of a declining customer's usage
DISCOUNT_CHOICES = np.array([5, 10, 12.5, 15, 20, 25, 30]) * SCALE
TIER_CUM = np.array([[0.60, 0.95], [0.30, 0.80], [0.05, 0.35]])  # P(tier<=0), P(tier<=1) by segment
SEG_CHURN = np.array([1.25, 1.0, 0.6])
SEAT_CAP = 600  # a customer's seats at sign-up: 2-30 % of its employees, at most this
CORE_CHURN = np.array([0.013, 0.013, 0.0045, 0.003])  # monthly churn hazard by number of live cores
FIRST_YEAR_CHURN = 2.0  # hazard factor in a customer's first 12 months


@dataclass(frozen=True)
class Calendar:
    start_day: int
    end_day: int
    first: np.ndarray  # first day of calendar month m (length n_months + 1), days since epoch
    lo: np.ndarray  # first usable day of month m (clipped to start)
    hi: np.ndarray  # last usable day of month m (clipped to end, inclusive)
    moy: np.ndarray  # month of the year of month m (0 = January)

    @property
    def n_months(self) -> int:
        return len(self.lo)

    def month_of(self, day: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.first, day, side="right") - 1


def build_calendar(start: date, end: date) -> Calendar:
    s = np.datetime64(start, "D")
    e = np.datetime64(end, "D")
    months = np.arange(s.astype("datetime64[M]"), e.astype("datetime64[M]") + 2)
    first = months.astype("datetime64[D]").astype(np.int64)
    sday, eday = int(s.astype(np.int64)), int(e.astype(np.int64))
    lo = np.maximum(first[:-1], sday)
    hi = np.minimum(first[1:] - 1, eday)
    moy = (months[:-1].astype(np.int64) % 12).astype(np.int64)
    return Calendar(sday, eday, first, lo, hi, moy)


@dataclass
class Buffers:
    """Column chunks collected during the simulation, concatenated at the end."""

    events: dict[str, list[np.ndarray]] = field(default_factory=dict)
    usage: dict[str, list[np.ndarray]] = field(default_factory=dict)
    otc: dict[str, list[np.ndarray]] = field(default_factory=dict)
    snaps: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @staticmethod
    def add(target: dict[str, list[np.ndarray]], **cols: np.ndarray) -> None:
        for k, v in cols.items():
            target.setdefault(k, []).append(np.asarray(v))

    @staticmethod
    def concat(target: dict[str, list[np.ndarray]], names: tuple[str, ...]) -> dict[str, np.ndarray]:
        return {k: np.concatenate(target[k]) if k in target else np.zeros(0, np.int64) for k in names}


EVENT_COLS = ("ci", "slot", "item_no", "sub_no", "t", "etype", "plan", "qty", "price", "disc", "trial")
USAGE_COLS = ("ci", "slot", "item_no", "plan", "pstart", "pend", "qty", "amount")
OTC_COLS = ("ci", "t", "amount", "category")
SNAP_COLS = ("ci", "product", "day", "metric", "value")


def _round_cents(x: np.ndarray) -> np.ndarray:
    """Round scaled amounts (float) to whole cents, returned as scaled int64."""
    return (np.round(x / (SCALE // 100)) * (SCALE // 100)).astype(np.int64)


def _limits(product: int, j: int) -> np.ndarray:
    """The per-tier limits of the j-th metric of a product (PLAN_LIMITS), as floats."""
    return np.array(PLAN_LIMITS[product][j][1], dtype=float)


class BlockSim:
    def __init__(self, rng: np.random.Generator, n: int, cat: Catalog, cal: Calendar, snapshot_months: int):
        self.rng, self.n, self.cat, self.cal = rng, n, cat, cal
        self.snapshot_months = snapshot_months
        self.buf = Buffers()
        self._init_customers()
        self._init_state()

    # ------------------------------------------------------------------ setup
    def _init_customers(self) -> None:
        rng, n, cal = self.rng, self.n, self.cal
        self.cur = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
        self.seg = rng.choice(3, size=n, p=[0.55, 0.30, 0.15])
        lo = np.array([2.0, 100.0, 1000.0])[self.seg]
        hi = np.array([99.0, 999.0, 25000.0])[self.seg]
        self.emp = np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi + 1)))).astype(np.int64)
        self.emp = np.clip(self.emp, lo.astype(np.int64), hi.astype(np.int64))
        self.emp_known = rng.random(n) >= 0.07
        # sign-ups grow ~1 % a month; customers are numbered in sign-up order within the block
        weights = 1.01 ** np.arange(cal.n_months) * (cal.hi - cal.lo + 1)
        m = rng.choice(cal.n_months, size=n, p=weights / weights.sum())
        day = cal.lo[m] + np.floor(rng.random(n) * (cal.hi[m] - cal.lo[m] + 1)).astype(np.int64)
        t = day * DAY + rng.integers(6 * 3600, 22 * 3600, size=n)
        order = np.argsort(t, kind="stable")
        self.signup_t = t[order]
        self.signup_m = cal.month_of(self.signup_t // DAY)
        lead = rng.exponential(20 * DAY, size=n).astype(np.int64) + 3600
        lead = np.where(rng.random(n) < 0.1, lead * 8, lead)
        self.created_t = self.signup_t - lead
        self.seats = np.clip(np.round(self.emp * rng.uniform(0.02, 0.3, size=n)), 1, SEAT_CAP).astype(
            np.int64
        )
        self.name_a = rng.integers(0, 1 << 30, size=n)
        self.name_b = rng.integers(0, 1 << 30, size=n)
        self.country_u = rng.random(n)
        self.industry_u = rng.random(n)

    def _init_state(self) -> None:
        n, S = self.n, N_PRODUCTS
        self.alive = np.zeros((n, S), bool)
        self.paused = np.zeros((n, S), bool)
        self.trial = np.zeros((n, S), bool)
        self.item_no = np.zeros((n, S), np.int64)
        self.sub_no = np.zeros((n, S), np.int64)
        self.tier = np.zeros((n, S), np.int64)
        self.ival = np.full((n, S), IV_MONTH, np.int64)
        self.qty = np.ones((n, S), np.int64)
        self.price = np.zeros((n, S), np.int64)
        self.disc = np.zeros((n, S), np.int64)
        self.busy = np.full((n, S), -1, np.int64)  # no further change of the item up to this month
        self.resume = np.full((n, S), -1, np.int64)
        self.start_day = np.zeros((n, S), np.int64)
        # usage of each core item: level (users, or API calls a month), monthly log drift, and storage and
        # projects per unit of level
        self.level = np.zeros((n, S))
        self.drift = np.zeros((n, S))
        self.per_storage = np.zeros((n, S))
        self.per_project = np.zeros((n, S))
        self.calls_month = np.zeros(n)  # this month's billed calls
        self.eager = np.where(self.rng.random(n) < TOLERANT_SHARE, TOLERANT_FACTOR, 1.0)
        self.declining = np.zeros(n, bool)
        self.decline_m = np.full(n, -1, np.int64)
        self.anchor = np.where(self.rng.random(n) < 0.65, 1, self.rng.integers(2, 29, size=n))
        self.n_items = np.zeros(n, np.int64)
        self.n_subs = np.zeros(n, np.int64)
        self.cur_sub = np.zeros(n, np.int64)
        self.churned = np.zeros(n, bool)
        self.churn_m = np.full(n, -1, np.int64)
        self.ever_paid = np.zeros(n, bool)
        self.last_core = np.full(n, WS, np.int64)

    # ------------------------------------------------------------------ helpers
    def _rand_time(self, m: int, k: int) -> np.ndarray:
        cal = self.cal
        span = cal.hi[m] - cal.lo[m] + 1
        day = cal.lo[m] + np.floor(self.rng.random(k) * span).astype(np.int64)
        return day * DAY + self.rng.integers(0, DAY, size=k)

    def _plan(self, ci: np.ndarray, si: np.ndarray | int) -> np.ndarray:
        return self.cat.lookup[si, self.tier[ci, si], self.ival[ci, si], self.cur[ci]]

    def _emit(self, ci: np.ndarray, si: np.ndarray | int, t: np.ndarray, etype: int) -> None:
        k = len(ci)
        if k == 0:
            return
        slot = np.broadcast_to(np.asarray(si, dtype=np.int64), (k,))
        self.buf.add(
            self.buf.events,
            ci=ci,
            slot=slot.copy(),
            item_no=self.item_no[ci, slot],
            sub_no=self.sub_no[ci, slot],
            t=t,
            etype=np.full(k, etype, np.int8),
            plan=self._plan(ci, slot),
            qty=self.qty[ci, slot],
            price=self.price[ci, slot],
            disc=self.disc[ci, slot],
            trial=self.trial[ci, slot],
        )

    def _tier_for(self, ci: np.ndarray) -> np.ndarray:
        u = self.rng.random(len(ci))
        cum = TIER_CUM[self.seg[ci]]
        return (u > cum[:, 0]).astype(np.int64) + (u > cum[:, 1])

    def _interval_for(self, ci: np.ndarray, product: int, tier: np.ndarray) -> np.ndarray:
        k = len(ci)
        u = self.rng.random(k)
        if product == API:
            return np.full(k, IV_MONTH, np.int64)
        if product in ADDON_BASE:
            return np.where(u < 0.7, IV_MONTH, IV_YEAR).astype(np.int64)
        iv = np.where(u < 0.60, IV_MONTH, np.where(u < 0.76, IV_QUARTER, IV_YEAR)).astype(np.int64)
        if product == WS:
            weekly = (self.cur[ci] == CUR_USD) & (tier < 2) & (self.seg[ci] == 0)
            iv = np.where(weekly & (self.rng.random(k) < 0.15), IV_WEEK, iv)
        return iv

    def _negotiated(self, plan: np.ndarray, product: int) -> np.ndarray:
        if product == API:
            return np.full(len(plan), -1, np.int64)  # usage plans carry no unit price
        lp = self.cat.list_price[plan]
        k = len(plan)
        factor = np.where(self.rng.random(k) < 0.25, self.rng.uniform(0.8, 0.97, size=k), 1.0)
        return np.where(factor < 1.0, _round_cents(lp * factor), lp)

    def _discount(self, k: int) -> np.ndarray:
        u = self.rng.random(k)
        d = DISCOUNT_CHOICES[self.rng.integers(0, len(DISCOUNT_CHOICES), size=k)]
        out = np.where(u < 0.30, d, 0)
        return np.where(u > 0.988, 100 * SCALE, out).astype(np.int64)

    def _new_item(
        self, ci: np.ndarray, si: int, t: np.ndarray, tier: np.ndarray, iv: np.ndarray, new_sub: np.ndarray
    ) -> None:
        """Start an item (one per customer in ``ci``) with fresh price, discount and quantity."""
        k = len(ci)
        self.n_items[ci] += 1
        self.item_no[ci, si] = self.n_items[ci]
        self.n_subs[ci] += new_sub | (self.n_subs[ci] == 0)
        self.cur_sub[ci] = self.n_subs[ci]
        self.sub_no[ci, si] = self.cur_sub[ci]
        self.tier[ci, si] = tier
        self.ival[ci, si] = iv
        if si in (WS, TT):
            self.qty[ci, si] = self.seats[ci]
        else:
            self.qty[ci, si] = 1
        plan = self._plan(ci, si)
        self.price[ci, si] = self._negotiated(plan, si)
        self.disc[ci, si] = 0 if si == API else self._discount(k)
        self.alive[ci, si] = True
        self.paused[ci, si] = False
        self.trial[ci, si] = False
        self.start_day[ci, si] = t // DAY
        if si in CORE_PRODUCTS:
            self._init_usage(ci, si)

    def _init_usage(self, ci: np.ndarray, si: int) -> None:
        """A new core item's usage: 45-95 % of its first limit (users or calls), its own growth."""
        k = len(ci)
        rng = self.rng
        util = 0.45 + 0.5 * rng.beta(2.5, 2.0, size=k)
        tier = self.tier[ci, si]
        if si == API:
            util = util * rng.uniform(0.5, 1.0, size=k)
        self.level[ci, si] = self._limit(ci, si, 0) * util
        # larger companies grow more slowly (relative to their size)
        self.drift[ci, si] = rng.normal(0.028 - 0.006 * np.log10(self.seats[ci]), 0.012, size=k)
        if si == WS:  # storage per user (limit per seat) and projects (a plan limit) at 25-100 % of users'
            self.per_storage[ci, si] = _limits(WS, 1)[tier] * rng.uniform(0.25, 1.0, size=k)
            self.per_project[ci, si] = _limits(WS, 2)[tier] * util * rng.uniform(0.1, 0.6, size=k)
            self.per_project[ci, si] /= np.maximum(self.level[ci, si], 1e-9)
        elif si == INS:  # storage (a plan limit) at 20-100 % of users' utilisation
            self.per_storage[ci, si] = _limits(INS, 1)[tier] * util * rng.uniform(0.2, 1.0, size=k)
            self.per_storage[ci, si] /= np.maximum(self.level[ci, si], 1e-9)

    def _limit(self, ci: np.ndarray, si: int, j: int) -> np.ndarray:
        """The limit of the j-th metric of product si (PLAN_LIMITS) for the items of customers ci."""
        limit = _limits(si, j)[self.tier[ci, si]]
        return limit * self.qty[ci, si] if PLAN_LIMITS[si][j][2] else limit

    def _metric_values(self, ci: np.ndarray, si: int) -> list[np.ndarray]:
        """Usage of each metric of product si (PLAN_LIMITS order) for the customers ci."""
        level = self.level[ci, si]
        if si == WS:  # active users are whole users
            return [np.round(level), level * self.per_storage[ci, si], level * self.per_project[ci, si]]
        if si == INS:
            return [np.round(level), level * self.per_storage[ci, si]]
        return [level]

    def _utilisation(self, ci: np.ndarray, si: int) -> tuple[np.ndarray, np.ndarray]:
        """(utilisation of the per-seat limits, utilisation of the plan limits), max over metrics; 0 when
        the product has no such limit."""
        seat, plan = np.zeros(len(ci)), np.zeros(len(ci))
        for j, value in enumerate(self._metric_values(ci, si)):
            util = value / np.maximum(self._limit(ci, si, j), 1e-9)
            if PLAN_LIMITS[si][j][2]:
                seat = np.maximum(seat, util)
            else:
                plan = np.maximum(plan, util)
        return seat, plan

    def _start_with_trial(
        self, ci: np.ndarray, si: int, m: int, t: np.ndarray, new_sub: np.ndarray, land: bool = False
    ) -> None:
        """Start items; a share of them begin as trials that convert or end later. ``land``: a cross-sold
        product starts a tier lower, a Workspace with a pilot team (at most 25 seats), an API with less
        usage (and grows from there)."""
        k = len(ci)
        if k == 0:
            return
        tier = self._tier_for(ci)
        if land:
            tier = np.maximum(tier - 1, 0)
        self._new_item(ci, si, t, tier, self._interval_for(ci, si, tier), new_sub)
        if land and si == WS:
            pilot = np.minimum(np.round(self.seats[ci] * self.rng.uniform(0.05, 0.25, size=k)), 25)
            self.qty[ci, si] = np.maximum(1, pilot)
            self._init_usage(ci, si)
        elif land and si == API:
            self.level[ci, si] *= self.rng.uniform(0.2, 0.6, size=k)
        self.busy[ci, si] = m
        is_trial = (self.rng.random(k) < 0.4) if si in (WS, INS) else np.zeros(k, bool)
        self.trial[ci, si] = is_trial
        self._emit(ci, si, t, E_STARTED)
        paid = ci[~is_trial]
        self._setup_fee(paid, t[~is_trial])
        self.ever_paid[paid] = True
        tc, tt = ci[is_trial], t[is_trial]
        t2 = tt + np.where(self.rng.random(len(tc)) < 0.6, 14, 30) * DAY
        converts = self.rng.random(len(tc)) < 0.62
        in_range = t2 // DAY <= self.cal.end_day
        m2 = np.where(in_range, self.cal.month_of(t2 // DAY), self.cal.n_months)
        self.busy[tc, si] = m2
        conv = converts & in_range
        self.trial[tc[conv], si] = False
        self._emit(tc[conv], si, t2[conv], E_CHANGED)
        self._setup_fee(tc[conv], t2[conv])
        self.ever_paid[tc[conv]] = True
        lost = ~converts & in_range
        lc = tc[lost]
        self._emit(lc, si, t2[lost], E_ENDED)
        self.alive[lc, si] = False
        self.trial[lc, si] = False
        gone = lc[~self.alive[lc].any(axis=1)]
        self.churned[gone] = True
        self.churn_m[gone] = m2[lost][~self.alive[lc].any(axis=1)]

    def _setup_fee(self, ci: np.ndarray, t: np.ndarray) -> None:
        k = len(ci)
        if k == 0:
            return
        take = self.rng.random(k) < np.array([0.3, 0.55, 0.8])[self.seg[ci]]
        lo = np.array([250, 1000, 5000])[self.seg[ci]]
        amount = np.round(lo * self.rng.uniform(1, 5, size=k) / 50) * 50 * SCALE
        tt = np.minimum(t + self.rng.integers(3600, 3 * DAY, size=k), self.cal.end_day * DAY + DAY - 1)
        self.buf.add(
            self.buf.otc,
            ci=ci[take],
            t=tt[take],
            amount=amount[take].astype(np.int64),
            category=np.zeros(int(take.sum()), np.int8),
        )

    # ------------------------------------------------------------------ monthly steps
    def run(self) -> Buffers:
        n_months = self.cal.n_months
        for m in range(n_months):
            self._signups(m)
            self._resumes(m)
            self._churn(m)
            self._reactivate(m)
            self._item_changes(m)
            self._cross_sell(m)
            self._add_ons(m)
            self._services(m)
            self._usage(m)
            if m >= n_months - self.snapshot_months:
                self._snapshots(m)
        return self.buf

    def _signups(self, m: int) -> None:
        ci = np.nonzero(self.signup_m == m)[0]
        k = len(ci)
        if k == 0:
            return
        product = np.array(CORE_PRODUCTS)[self.rng.choice(3, size=k, p=[0.66, 0.22, 0.12])]
        for p in CORE_PRODUCTS:
            sel = product == p
            self._start_with_trial(ci[sel], p, m, self.signup_t[ci[sel]], np.ones(int(sel.sum()), bool))
            self.last_core[ci[sel]] = p

    def _resumes(self, m: int) -> None:
        ci, si = np.nonzero(self.alive & self.paused & (self.resume == m))
        self.paused[ci, si] = False
        self.busy[ci, si] = m
        self._emit(ci, si, self._rand_time(m, len(ci)), E_RESUMED)

    def _churn(self, m: int) -> None:
        alive_any = self.alive.any(axis=1)
        blocked = (self.alive & ((self.busy >= m) | self.trial)).any(axis=1)
        ci = np.nonzero(alive_any & ~blocked)[0]
        n_core = self.alive[ci][:, list(CORE_PRODUCTS)].sum(axis=1)
        hazard = CORE_CHURN[n_core] * SEG_CHURN[self.seg[ci]]
        hazard = hazard * np.where(m - self.signup_m[ci] < 12, FIRST_YEAR_CHURN, 1.0)
        # healthy customers fall into decline (usage falls, see _usage) at their hazard; declining ones
        # churn after a few months or recover; a few healthy ones churn at once
        u = self.rng.random(len(ci))
        declining = self.declining[ci]
        months_in = m - self.decline_m[ci]
        start = ~declining & (u < hazard)
        recover = declining & (u < DECLINE_RECOVER)
        self.declining[ci[start]] = True
        self.decline_m[ci[start]] = m
        self.declining[ci[recover]] = False
        leave = self.rng.random(len(ci))
        hazard = np.where(
            declining, np.where(months_in >= DECLINE_GRACE, DECLINE_CHURN, 0.0), SUDDEN_CHURN * hazard
        )
        all_paused = ~(self.alive[ci] & ~self.paused[ci]).any(axis=1)
        hazard = np.where(all_paused, 0.12, hazard)
        ci = ci[~recover & (leave < hazard)]
        if len(ci) == 0:
            return
        t = self._rand_time(m, len(ci))
        cores = self.alive[ci][:, list(CORE_PRODUCTS)]
        self.last_core[ci] = np.array(CORE_PRODUCTS)[np.argmax(cores, axis=1)]
        for s in range(N_PRODUCTS):
            sel = self.alive[ci, s]
            self._emit(ci[sel], s, t[sel], E_ENDED)
            self.alive[ci[sel], s] = False
            self.paused[ci[sel], s] = False
            self.busy[ci[sel], s] = m
        self.churned[ci] = True
        self.churn_m[ci] = m
        self.declining[ci] = False

    def _reactivate(self, m: int) -> None:
        cand = self.churned & (self.churn_m >= 0) & (m - self.churn_m >= 3)
        hazard = np.where(self.ever_paid, 0.035, 0.006)
        ci = np.nonzero(cand & (self.rng.random(self.n) < hazard))[0]
        if len(ci) == 0:
            return
        t = self._rand_time(m, len(ci))
        new_sub = self.rng.random(len(ci)) < 0.6
        for p in CORE_PRODUCTS:
            c = ci[self.last_core[ci] == p]
            if len(c) == 0:
                continue
            tier = np.maximum(self.tier[c, p] - (self.rng.random(len(c)) < 0.25), 0)
            iv = self.ival[c, p]
            self._new_item(c, p, t[self.last_core[ci] == p], tier, iv, new_sub[self.last_core[ci] == p])
            if p in (WS,):
                self.qty[c, p] = np.maximum(1, np.round(self.seats[c] * self.rng.uniform(0.5, 1.1, len(c))))
                self._init_usage(c, p)
            self.busy[c, p] = m
            self._emit(c, p, t[self.last_core[ci] == p], E_STARTED)
        self.churned[ci] = False
        self.declining[ci] = False
        self.ever_paid[ci] = True

    def _item_changes(self, m: int) -> None:
        rng = self.rng
        eligible = self.alive & ~self.paused & ~self.trial & (self.busy < m)
        u = rng.random((self.n, N_PRODUCTS))
        prob = CHANGE_PROB.copy()
        prob[:, list(SEASONAL_KINDS)] *= SEASON[self.cal.moy[m]]
        cum = np.cumsum(prob, axis=1)
        kind = np.full((self.n, N_PRODUCTS), N_KINDS, np.int64)
        for s in range(N_PRODUCTS):
            kind[:, s] = np.searchsorted(cum[s], u[:, s], side="right")
        # declining customers buy nothing
        kind = np.where(self.declining[:, None] & np.isin(kind, SEASONAL_KINDS), N_KINDS, kind)
        self._usage_driven(m, kind)
        # renewal: on each anniversary of an item, over half of the list-priced items get a 2-5 % uplift
        boost = rng.random((self.n, N_PRODUCTS))
        months_in = m - self.cal.month_of(self.start_day)
        renewal = (months_in > 0) & (months_in % 12 == 0) & (kind == N_KINDS) & (boost < 0.55)
        renewal &= (np.arange(N_PRODUCTS) != API)[None, :] & self.alive & ~self.paused & ~self.trial
        renewal &= self.busy < m
        kind = np.where(renewal, N_KINDS, kind)
        ci, si = np.nonzero(renewal)
        self.price[ci, si] = _round_cents(self.price[ci, si] * rng.uniform(1.02, 1.05, size=len(ci)))
        self.busy[ci, si] = m
        self._emit(ci, si, self._rand_time(m, len(ci)), E_CHANGED)
        n_core = self.alive[:, list(CORE_PRODUCTS)].sum(axis=1)
        has_addon = np.zeros((self.n, N_PRODUCTS), bool)
        for a, b in ADDON_BASE.items():
            has_addon[:, b] |= self.alive[:, a]
        is_core = np.isin(np.arange(N_PRODUCTS), CORE_PRODUCTS)[None, :]
        ok = np.ones_like(eligible)
        ok &= ~((kind == K_UP) & (self.tier >= 2))
        ok &= ~((kind == K_DOWN) & (self.tier <= 0))
        for si in CORE_PRODUCTS:  # a downgrade only when the usage fits the lower tier's limits
            ci = np.nonzero((kind[:, si] == K_DOWN) & (self.tier[:, si] > 0))[0]
            self.tier[ci, si] -= 1
            ok[ci, si] &= np.maximum(*self._utilisation(ci, si)) < 1.0
            self.tier[ci, si] += 1
        ok &= ~((kind == K_SEAT_DOWN) & (self.qty < 2))
        ok &= ~((kind == K_DISC) & (self.disc == 100 * SCALE))  # free accounts (partners, internal) stay free
        ok &= ~((kind == K_PAUSE) & ((self.ival == IV_YEAR) | (self.qty > 50)))  # small accounts pause
        ok &= ~((kind == K_END) & is_core & ((n_core[:, None] < 2) | has_addon))
        kind = np.where(eligible & ok, kind, N_KINDS)
        for k_id in range(N_KINDS):
            ci, si = np.nonzero(kind == k_id)
            if len(ci) == 0:
                continue
            etype = self._apply_change(k_id, ci, si, m)
            self.busy[ci, si] = m
            self._emit(ci, si, self._rand_time(m, len(ci)), etype)
            if etype == E_ENDED:
                self.alive[ci, si] = False
        self._follow_seats(m, (kind[:, WS] == K_SEAT_UP) | (kind[:, WS] == K_SEAT_DOWN))

    def _usage_driven(self, m: int, kind: np.ndarray) -> None:
        """Usage-driven changes of the core items (as of the last month-end): at or near a limit, buy seats
        (a per-seat limit) or move up a tier (a plan limit); far below the limits, a declining customer
        gives back seats or moves down a tier."""
        rng = self.rng
        all_ci = np.arange(self.n)
        season = SEASON[self.cal.moy[m]]
        for si in CORE_PRODUCTS:
            ci = all_ci[self.alive[:, si] & ~self.paused[:, si] & ~self.trial[:, si]]
            seat, plan = self._utilisation(ci, si)
            tier = self.tier[ci, si]
            top = np.maximum(seat, np.where(tier < 2, plan, 0.0))
            band = np.select([top >= 1.0, top >= 0.9, top >= 0.8], BUY_PROB, 0.0)
            buy = rng.random(len(ci)) < band * self.eager[ci] * season * ~self.declining[ci]
            up = buy & (tier < 2) & (plan >= seat)
            kind[ci[buy & ~up & (seat > 0)], si] = K_SEAT_UP
            kind[ci[up], si] = K_UP
            # low usage: seats given back (far more often in decline), tiers given back in decline
            declining = self.declining[ci]
            r = rng.random(len(ci))
            give_seats = (
                ~buy & (seat > 0) & np.where(declining, (seat < 0.85) & (r < 0.3), (seat < 0.5) & (r < 0.03))
            )
            kind[ci[give_seats], si] = K_SEAT_DOWN
            down = ~buy & ~give_seats & declining & (tier > 0) & (r > 0.7)
            kind[ci[down], si] = K_DOWN

    def _follow_seats(self, m: int, ws_seat_change: np.ndarray) -> None:
        """Per-seat add-ons (Time Tracking) usually follow the Workspace seat count."""
        ok = ws_seat_change & self.alive[:, TT] & ~self.trial[:, TT] & (self.busy[:, TT] < m)
        ok &= (self.qty[:, TT] != self.qty[:, WS]) & (self.rng.random(self.n) < 0.7)
        ci = np.nonzero(ok)[0]
        self.qty[ci, TT] = self.qty[ci, WS]
        self.busy[ci, TT] = m
        self._emit(ci, TT, self._rand_time(m, len(ci)), E_CHANGED)

    def _apply_change(self, kind: int, ci: np.ndarray, si: np.ndarray, m: int) -> int:
        rng, k = self.rng, len(ci)
        q = self.qty[ci, si]
        # seats needed for the usage (Workspace: the per-seat limits at utilisation 1), else 0
        need = np.zeros(k)
        ws = si == WS
        if ws.any():
            need[ws] = self._utilisation(ci[ws], WS)[0] * q[ws]
        if kind == K_SEAT_UP:
            step = np.maximum(1, np.round(q * rng.uniform(0.02, 0.15, size=k))).astype(np.int64)
            # large accounts true up in small steps, small ones buy a little headroom
            headroom = np.where(q >= 20, rng.uniform(1.0, 1.05, size=k), rng.uniform(1.02, 1.15, size=k))
            sized = np.ceil(need * headroom).astype(np.int64)
            self.qty[ci, si] = np.minimum(np.maximum(q + step, sized), np.maximum(3 * q // 2, q + 5))
        elif kind == K_SEAT_DOWN:
            step = np.maximum(1, np.round(q * rng.uniform(0.02, 0.12, size=k))).astype(np.int64)
            sized = np.ceil(need * rng.uniform(1.15, 1.35, size=k)).astype(np.int64)
            new_q = np.where((sized > 0) & (sized < q - step), sized, q - step)
            self.qty[ci, si] = np.maximum(1, np.maximum(new_q, (q + 1) // 2))
        elif kind in (K_UP, K_DOWN):
            self.tier[ci, si] += 1 if kind == K_UP else -1
            missing = self._plan(ci, si) < 0  # e.g. no weekly Enterprise plan: move to monthly
            self.ival[ci[missing], si[missing]] = IV_MONTH
            self._reprice(ci, si)
        elif kind == K_PRICE:
            f = np.where(
                rng.random(k) < 0.8, rng.uniform(1.03, 1.10, size=k), rng.uniform(0.85, 0.95, size=k)
            )
            self.price[ci, si] = _round_cents(self.price[ci, si] * f)
        elif kind == K_DISC:
            new = DISCOUNT_CHOICES[rng.integers(0, len(DISCOUNT_CHOICES), size=k)].astype(np.int64)
            new = np.where(new == self.disc[ci, si], 0, new)
            self.disc[ci, si] = np.where(rng.random(k) < 0.04, 100 * SCALE, new)
        elif kind == K_IVAL:
            iv = self.ival[ci, si]
            self.ival[ci, si] = np.where(iv == IV_YEAR, IV_MONTH, IV_YEAR)
            self._reprice(ci, si)
        elif kind == K_PAUSE:
            self.paused[ci, si] = True
            self.resume[ci, si] = np.where(rng.random(k) < 0.85, m + rng.integers(1, 5, size=k), -1)
            return E_PAUSED
        elif kind == K_END:
            return E_ENDED
        return E_CHANGED

    def _reprice(self, ci: np.ndarray, si: np.ndarray) -> None:
        plan = self._plan(ci, si)
        usage = si == API
        self.price[ci, si] = np.where(usage, -1, self.cat.list_price[plan])

    def _cross_sell(self, m: int) -> None:
        rng = self.rng
        cores = list(CORE_PRODUCTS)
        active_core = (self.alive & ~self.paused & ~self.trial)[:, cores].any(axis=1)
        # not in a month in which one of its core items started (keeps the cross-sell after the sign-up)
        active_core &= ~(self.alive & (self.start_day >= self.cal.lo[m]))[:, cores].any(axis=1)
        p = 0.016 * np.array([1.0, 1.2, 1.4])[self.seg] * SEASON[self.cal.moy[m]]
        ci = np.nonzero(active_core & ~self.declining & (rng.random(self.n) < p))[0]
        score = rng.random((len(ci), 3))
        taken = self.alive[ci][:, cores] | (self.busy[ci][:, cores] >= m)
        score[taken] = -1.0
        pick = np.argmax(score, axis=1)
        valid = score.max(axis=1) >= 0
        ci, pick = ci[valid], pick[valid]
        t = self._rand_time(m, len(ci))
        new_sub = rng.random(len(ci)) < 0.3
        for j, prod in enumerate(cores):
            sel = pick == j
            self._start_with_trial(ci[sel], prod, m, t[sel], new_sub[sel], land=True)

    def _add_ons(self, m: int) -> None:
        rng = self.rng
        season = SEASON[self.cal.moy[m]]
        for addon, prob in ((TT, 0.012), (SEC, 0.010), (AI, 0.012)):
            base = ADDON_BASE[addon]
            ok = self.alive[:, base] & ~self.paused[:, base] & ~self.trial[:, base] & (self.busy[:, base] < m)
            ok &= ~self.alive[:, addon] & (self.busy[:, addon] < m) & ~self.declining
            ci = np.nonzero(ok & (rng.random(self.n) < prob * season))[0]
            if len(ci) == 0:
                continue
            t = self._rand_time(m, len(ci))
            iv = np.where(self.ival[ci, base] == IV_YEAR, IV_YEAR, IV_MONTH)
            self._new_item(ci, addon, t, np.zeros(len(ci), np.int64), iv, np.zeros(len(ci), bool))
            self.sub_no[ci, addon] = self.sub_no[ci, base]
            if addon == TT:
                self.qty[ci, addon] = self.qty[ci, base]
            self.busy[ci, addon] = m
            self._emit(ci, addon, t, E_STARTED)

    def _services(self, m: int) -> None:
        rng = self.rng
        live = (self.alive & ~self.trial).any(axis=1)
        for cat_id, prob, lo, hi, step in ((1, 0.006, 1500, 20000, 100), (2, 0.006, 300, 3000, 50)):
            ci = np.nonzero(live & (rng.random(self.n) < prob))[0]
            amount = np.round(rng.uniform(lo, hi, size=len(ci)) / step) * step * SCALE
            self.buf.add(
                self.buf.otc,
                ci=ci,
                t=self._rand_time(m, len(ci)),
                amount=amount.astype(np.int64),
                category=np.full(len(ci), cat_id, np.int8),
            )

    def _usage(self, m: int) -> None:
        rng, cal = self.rng, self.cal
        # usage of live, unpaused core items moves by its drift (falling in decline); far over a limit it
        # stops growing
        for si in CORE_PRODUCTS:
            ci = np.nonzero(self.alive[:, si] & ~self.paused[:, si])[0]
            k = len(ci)
            # usage grows with the same yearly season as purchases (teams hire and onboard in the winter)
            step = self.drift[ci, si] * SEASON[cal.moy[m]] + rng.normal(0.0, USAGE_NOISE, size=k)
            step = np.where(self.declining[ci], rng.normal(DECLINE_DRIFT, 0.05, size=k), step)
            seat, plan = self._utilisation(ci, si)
            capped = (np.maximum(seat, plan) > OVER_LIMIT_CAP) & (step > 0)
            step = np.where(capped, 0.1 * step, step)
            # on the top tier a plan limit cannot be bought away: usage settles below it (the top tier's
            # limits are generous); Workspace projects stop growing, Insights and API usage level off
            top = (self.tier[ci, si] == 2) & (plan > TOP_TIER_CEILING)
            if si == WS:
                self.per_project[ci[top], si] *= TOP_TIER_CEILING / plan[top]
            else:
                step = np.where(
                    top, np.minimum(step, np.log(TOP_TIER_CEILING / np.maximum(plan, 1e-9))), step
                )
            if si == WS:  # projects grow at half the pace of users
                self.per_project[ci, si] *= np.exp(-0.5 * step)
            # users are at most most of the company's employees (Insights: a quarter of them)
            cap = self.emp[ci] * (0.9 if si == WS else 0.25) + 5 if si != API else np.inf
            self.level[ci, si] = np.minimum(
                self.level[ci, si] * np.exp(step), np.maximum(cap, self.level[ci, si])
            )
        ci = np.nonzero(self.alive[:, API])[0]
        qty = np.round(self.level[ci, API] * np.exp(rng.normal(0.0, 0.01, size=len(ci))))
        self.calls_month[ci] = qty
        pstart = cal.first[m] + self.anchor[ci] - 1
        pend = cal.first[m + 1] + self.anchor[ci] - 2
        ok = (pstart >= self.start_day[ci, API]) & (pstart >= cal.start_day) & (pend <= cal.end_day)
        ci, qty, pstart, pend = ci[ok], qty[ok].astype(np.int64), pstart[ok], pend[ok]
        plan = self._plan(ci, API)
        self.buf.add(
            self.buf.usage,
            ci=ci,
            slot=np.full(len(ci), API),
            item_no=self.item_no[ci, API],
            plan=plan,
            pstart=pstart,
            pend=pend,
            qty=qty,
            amount=qty * self.cat.usage_rate[plan],
        )

    def _snapshots(self, m: int) -> None:
        """Month-end usage of every live, unpaused core item: its limit metrics and logins."""
        rng = self.rng
        day = int(self.cal.hi[m])
        for p in CORE_PRODUCTS:
            ci = np.nonzero(self.alive[:, p] & ~self.paused[:, p])[0]
            k = len(ci)
            if k == 0:
                continue
            values = self._metric_values(ci, p)
            users = values[0] if p != API else rng.integers(1, 12, size=k).astype(float)
            for (metric, _, _), value in zip(PLAN_LIMITS[p], values, strict=True):
                if metric == M_STORAGE:
                    value = np.round(value, 1)
                elif metric == M_CALLS:  # month-to-date consumption = this month's metered calls
                    value = self.calls_month[ci]
                else:
                    value = np.round(value)
                self._add_snap(ci, p, day, metric, np.maximum(value, 0))
            logins = np.round(users * rng.uniform(6, 22, size=k))
            self._add_snap(ci, p, day, M_LOGINS, logins)

    def _add_snap(self, ci: np.ndarray, product: int, day: int, metric: int, value: np.ndarray) -> None:
        k = len(ci)
        self.buf.add(
            self.buf.snaps,
            ci=ci,
            product=np.full(k, product, np.int8),
            day=np.full(k, day, np.int64),
            metric=np.full(k, metric, np.int8),
            value=np.round(value * SCALE).astype(np.int64),
        )
