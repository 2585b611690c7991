"""Towns, villages, households and residents of the synthetic county (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodel.synth import names as name_data
from riskmodel.synth.identity import make_id_numbers, make_phones

# Household templates: (members by relation, youngest head age, oldest head age, weight).
TEMPLATES: dict[int, tuple[tuple[tuple[str, ...], int, int, float], ...]] = {
    1: ((("户主",), 22, 95, 1.0),),
    2: (
        (("户主", "配偶"), 25, 90, 0.7),
        (("户主", "子"), 45, 90, 0.15),
        (("户主", "母"), 25, 60, 0.1),
        (("户主", "女"), 40, 80, 0.05),
    ),
    3: (
        (("户主", "配偶", "子"), 25, 70, 0.45),
        (("户主", "配偶", "女"), 25, 70, 0.35),
        (("户主", "配偶", "母"), 28, 60, 0.1),
        (("户主", "子", "儿媳"), 55, 85, 0.1),
    ),
    4: (
        (("户主", "配偶", "子", "女"), 30, 60, 0.4),
        (("户主", "配偶", "子", "子"), 30, 60, 0.15),
        (("户主", "配偶", "子", "母"), 30, 60, 0.15),
        (("户主", "配偶", "女", "女"), 30, 60, 0.1),
        (("户主", "配偶", "子", "儿媳"), 48, 75, 0.2),
    ),
    5: (
        (("户主", "配偶", "子", "儿媳", "孙子"), 48, 75, 0.35),
        (("户主", "配偶", "子", "儿媳", "孙女"), 48, 75, 0.25),
        (("户主", "配偶", "子", "女", "母"), 32, 60, 0.2),
        (("户主", "配偶", "女", "女婿", "孙子"), 48, 75, 0.2),
    ),
    6: (
        (("户主", "配偶", "子", "儿媳", "孙子", "孙女"), 50, 78, 0.6),
        (("户主", "配偶", "父", "母", "子", "女"), 30, 55, 0.25),
        (("户主", "配偶", "子", "儿媳", "孙子", "兄弟姐妹"), 50, 75, 0.15),
    ),
    7: (
        (("户主", "配偶", "子", "儿媳", "孙子", "孙女", "母"), 48, 65, 0.6),
        (("户主", "配偶", "女", "女婿", "孙子", "孙女", "兄弟姐妹"), 50, 70, 0.4),
    ),
    8: ((("户主", "配偶", "子", "儿媳", "孙子", "孙女", "父", "母"), 45, 62, 1.0),),
}
MALE_RELATIONS = {"子", "父", "女婿", "孙子"}
FEMALE_RELATIONS = {"女", "母", "儿媳", "孙女"}
IN_LAW_RELATIONS = {"配偶", "儿媳", "女婿", "母"}
DISABILITY_KINDS = ("肢体", "视力", "听力", "言语", "智力", "精神")
GRADES = ("一级", "二级", "三级", "四级")


@dataclass
class Population:
    """The register: villages, households (one row each) and residents (people)."""

    villages: pd.DataFrame
    households: pd.DataFrame
    people: pd.DataFrame


def build_villages(rng: np.random.Generator, size: dict, settings: dict) -> pd.DataFrame:
    """Towns with 3-digit codes (1xx 镇, 2xx 乡) and villages with 12-digit codes."""
    county = settings["county_code"]
    town_count = int(size["towns"])
    town_names = list(name_data.TOWNS[:town_count])
    while len(town_names) < town_count:
        town_names.append(f"新{len(town_names)}乡")
    town_codes = []
    counters = {"镇": 100, "乡": 200}
    for town in town_names:
        kind = "镇" if town.endswith("镇") else "乡"
        counters[kind] += 1
        town_codes.append(f"{county}{counters[kind]:03d}")
    village_count = int(size["villages"])
    town_of_village = np.sort(rng.integers(0, town_count, village_count))
    town_of_village[:town_count] = np.arange(town_count) if village_count >= town_count else 0
    town_of_village = np.sort(town_of_village)
    names = name_data.village_names(rng, village_count)
    codes = []
    serial: dict[int, int] = {}
    for t in town_of_village:
        serial[int(t)] = serial.get(int(t), 200) + 1
        codes.append(f"{town_codes[t]}{serial[int(t)]:03d}")
    return pd.DataFrame(
        {
            "village_code": codes,
            "village_name": names,
            "town_name": [town_names[t] for t in town_of_village],
            "town_code": [town_codes[t] for t in town_of_village],
            "county": settings["county_name"],
        }
    )


def _draw_ages(rng, relation, head_age_per_member):
    n = len(relation)
    age = np.zeros(n)
    a = head_age_per_member
    rel = relation
    age = np.where(rel == "户主", a, age)
    age = np.where(rel == "配偶", np.maximum(18, a + rng.normal(-2, 2.5, n)), age)
    child = a - rng.uniform(22, 34, n)
    child = np.where(child < 0, rng.uniform(0, 3, n), child)
    age = np.where(np.isin(rel, ["子", "女"]), child, age)
    in_law = np.maximum(18, a - rng.uniform(20, 32, n))
    age = np.where(np.isin(rel, ["儿媳", "女婿"]), in_law, age)
    grand = a - rng.uniform(44, 60, n)
    grand = np.where(grand < 0, rng.uniform(0, 6, n), grand)
    age = np.where(np.isin(rel, ["孙子", "孙女"]), grand, age)
    age = np.where(np.isin(rel, ["父", "母"]), np.minimum(101, a + rng.uniform(22, 33, n)), age)
    age = np.where(rel == "兄弟姐妹", np.maximum(16, a + rng.uniform(-10, 10, n)), age)
    return age


def build_population(
    rng: np.random.Generator, size: dict, settings: dict, villages: pd.DataFrame, taken: set[int]
) -> Population:
    """Households with members, names, IDs, types and disabilities."""
    conf = settings["population"]
    year = int(settings["year"])
    reference = np.datetime64(f"{year}-01-01")
    village_count = len(villages)
    weights = rng.lognormal(0, 0.35, village_count)
    residents_per_village = weights / weights.sum() * int(size["residents"])
    size_weights = np.array(conf["household_size_weights"], dtype=float)
    size_weights /= size_weights.sum()
    mean_size = float((np.arange(1, len(size_weights) + 1) * size_weights).sum())
    households_per_village = np.maximum(20, np.round(residents_per_village / mean_size)).astype(int)
    household_village = np.repeat(np.arange(village_count), households_per_village)
    household_count = len(household_village)
    household_size = rng.choice(
        np.arange(1, len(size_weights) + 1), household_count, p=size_weights
    )

    # pick a template per household
    template_list: list[tuple[str, ...]] = []
    template_min: list[int] = []
    template_max: list[int] = []
    template_of_household = np.zeros(household_count, dtype=np.int64)
    for hh_size, options in TEMPLATES.items():
        mask = household_size == hh_size
        offset = len(template_list)
        probabilities = np.array([o[3] for o in options])
        choice = rng.choice(len(options), int(mask.sum()), p=probabilities / probabilities.sum())
        template_of_household[mask] = offset + choice
        for roles, low, high, _ in options:
            template_list.append(roles)
            template_min.append(low)
            template_max.append(high)
    lows = np.array(template_min)[template_of_household]
    highs = np.array(template_max)[template_of_household]
    head_age = lows + rng.beta(1.3, 1.6, household_count) * (highs - lows)

    # expand to members
    member_counts = np.array([len(t) for t in template_list])[template_of_household]
    member_household = np.repeat(np.arange(household_count), member_counts)
    starts = np.cumsum(member_counts) - member_counts
    position = np.arange(len(member_household)) - np.repeat(starts, member_counts)
    flat_roles = np.array([r for t in template_list for r in t], dtype=object)
    template_offsets = np.cumsum([len(t) for t in template_list]) - np.array(
        [len(t) for t in template_list]
    )
    relation = flat_roles[template_offsets[template_of_household[member_household]] + position]
    person_count = len(relation)
    ages = _draw_ages(rng, relation, head_age[member_household])

    head_male = rng.random(household_count) < 0.86
    random_male = rng.random(person_count) < 0.5
    is_male = np.where(
        relation == "户主",
        head_male[member_household],
        np.where(relation == "配偶", ~head_male[member_household], random_male),
    )
    is_male = np.where(np.isin(relation, list(MALE_RELATIONS)), True, is_male)
    is_male = np.where(np.isin(relation, list(FEMALE_RELATIONS)), False, is_male)

    # surnames: clans per village plus the county distribution
    surnames, surname_p = name_data.surname_table()
    county_draw = rng.choice(len(surnames), household_count, p=surname_p)
    clans = np.stack(
        [rng.choice(len(surnames), 3, replace=False, p=surname_p) for _ in range(village_count)]
    )
    clan_pick = clans[household_village, rng.integers(0, 3, household_count)]
    head_surname = np.where(rng.random(household_count) < 0.55, clan_pick, county_draw)
    own_draw = rng.choice(len(surnames), person_count, p=surname_p)
    same_family = np.isin(relation, ["户主", "子", "女", "孙子", "孙女", "父", "兄弟姐妹"])
    surname_index = np.where(same_family, head_surname[member_household], own_draw)
    given = name_data.given_names(rng, is_male)
    person_name = surnames[surname_index] + given

    # birth dates and IDs
    birth = reference - np.round(ages * 365.25 + rng.uniform(0, 365, person_count)).astype(
        "timedelta64[D]"
    )
    birth = np.minimum(birth, reference - np.timedelta64(1, "D"))
    region = np.full(person_count, int(settings["county_code"]), dtype=np.int64)
    elsewhere = np.isin(relation, list(IN_LAW_RELATIONS)) & (
        rng.random(person_count) < conf["born_elsewhere_share"] * 2
    )
    neighbour = np.array([int(r) for r in name_data.NEIGHBOUR_REGIONS])
    region[elsewhere] = neighbour[rng.integers(0, len(neighbour), int(elsewhere.sum()))]
    id_numbers, _ = make_id_numbers(rng, region, birth, is_male, taken)

    # household attributes
    village_poverty = rng.beta(2, 2 / max(conf["poor_household_share"], 1e-3) - 2, village_count)
    draw = rng.random(household_count)
    poor_p = village_poverty[household_village]
    household_type = np.where(
        draw < poor_p,
        "脱贫户",
        np.where(draw < poor_p + conf["monitored_household_share"], "监测户", "一般户"),
    )
    village_codes = villages["village_code"].to_numpy(dtype=object)
    household_serial = np.arange(household_count) - np.repeat(
        np.cumsum(households_per_village) - households_per_village, households_per_village
    )
    household_id = np.array(
        [
            f"{village_codes[v]}{s + 1:04d}"
            for v, s in zip(household_village, household_serial, strict=True)
        ],
        dtype=object,
    )

    # disabilities (more frequent with age and in poor households)
    poor_member = household_type[member_household] != "一般户"
    p_disabled = conf["disability_share"] * (0.5 + ages / 60) * np.where(poor_member, 2.0, 0.85)
    disabled = rng.random(person_count) < p_disabled
    severe = rng.random(person_count) < conf["severe_disability_share"]
    grade = np.where(severe, rng.integers(0, 2, person_count), rng.integers(2, 4, person_count))
    kind = np.array(DISABILITY_KINDS, dtype=object)[rng.integers(0, 6, person_count)]
    disability = np.where(disabled, kind + np.array(GRADES, dtype=object)[grade], "")

    phones = make_phones(rng, person_count)
    has_phone = np.where(
        relation == "户主",
        rng.random(person_count) < 0.92,
        (ages >= 18) & (rng.random(person_count) < 0.35),
    )
    phone = np.where(has_phone, phones, "")

    people = pd.DataFrame(
        {
            "id_number": id_numbers,
            "name": person_name,
            "surname": surnames[surname_index],
            "gender": np.where(is_male, "男", "女"),
            "birth_date": birth,
            "age": ages,
            "household": member_household,
            "household_id": household_id[member_household],
            "relation": relation,
            "village": household_village[member_household],
            "village_code": village_codes[household_village[member_household]],
            "village_name": villages["village_name"].to_numpy(dtype=object)[
                household_village[member_household]
            ],
            "household_type": household_type[member_household],
            "phone": phone,
            "disability": disability,
            "in_register": True,
        }
    )
    people["death_date"] = pd.Series(pd.NaT, index=people.index, dtype="datetime64[s]")
    heads = np.flatnonzero(relation == "户主")
    households = pd.DataFrame(
        {
            "household_id": household_id,
            "village": household_village,
            "head": heads,
            "size": member_counts,
            "household_type": household_type,
            "first_member": starts,
        }
    )
    return Population(villages, households, people)


def draw_deaths(rng: np.random.Generator, population: Population, settings: dict) -> None:
    """Mark deaths during the year (hazard rising with age) on ``people.death_date``."""
    people = population.people
    year = int(settings["year"])
    rate = settings["population"]["deaths_per_year"]
    ages = people["age"].to_numpy()
    hazard = np.exp((ages - 80) / 9.0)
    hazard = hazard / hazard.mean() * rate
    dies = rng.random(len(people)) < np.minimum(hazard, 0.5)
    days = rng.integers(0, 365, int(dies.sum()))
    dates = np.datetime64(f"{year}-01-01") + days.astype("timedelta64[D]")
    death = people["death_date"].to_numpy(copy=True)
    death[dies] = dates
    people["death_date"] = death
