"""A tiny hand-made county for end-to-end runs of the scheduled job (seconds, not minutes).

Two villages, six households. Planted: a person paid after death (from 2024-05), an
official's mother on 低保, and — only from 2024-08 — a second deceased person still paid.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskmodel.ids import check_digit

VILLAGES = {"430421100201": ("石市村", "西渡镇"), "430421100202": ("长安村", "西渡镇")}


def person_id(birth: str, serial: int) -> str:
    first17 = f"430421{birth}{serial:03d}"
    return first17 + check_digit(first17)


def write_county(folder: Path) -> dict[str, str]:
    """Write the county's CSV files into ``folder``; return the planted people's IDs."""
    folder.mkdir(parents=True, exist_ok=True)
    people = []
    serial = 100
    for number, village in enumerate(sorted(VILLAGES) * 3):
        household = f"H{number:03d}"
        for relation, birth, gender in (
            ("户主", "19500101", 1),
            ("配偶", "19520202", 2),
            ("子女", "19800303", 1),
        ):
            serial += 2 if gender == 1 else 1
            serial += (serial % 2) != (gender % 2)
            people.append(
                {
                    "id_number": person_id(birth, serial),
                    "name": f"村民{len(people):02d}",
                    "household_id": household,
                    "relation": relation,
                    "village_code": village,
                    "gender": "男" if gender == 1 else "女",
                }
            )
    residents = pd.DataFrame(people)
    residents.to_csv(folder / "residents.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(
        [
            {"village_code": code, "village_name": name, "town_name": town}
            for code, (name, town) in VILLAGES.items()
        ]
    ).to_csv(folder / "villages.csv", index=False, encoding="utf-8-sig")
    dead_early = residents["id_number"][0]
    dead_late = residents["id_number"][3]
    official_son = residents["id_number"][2]
    mother = residents["id_number"][1]
    pd.DataFrame(
        [
            {
                "id_number": official_son,
                "name": residents["name"][2],
                "org": "石市村村委会",
                "position": "村主任",
                "category": "村干部",
                "village_code": "430421100201",
                "start_date": "2020-01-01",
            },
        ]
    ).to_csv(folder / "officials.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(
        [
            {
                "id_number": dead_early,
                "name": residents["name"][0],
                "death_date": "2024-04-10",
                "source": "火化",
            },
            {
                "id_number": dead_late,
                "name": residents["name"][3],
                "death_date": "2024-07-20",
                "source": "火化",
            },
        ]
    ).to_csv(folder / "deaths.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(
        [
            {
                "program_code": "DB",
                "program_name": "城乡最低生活保障",
                "department": "民政局",
                "standard_amount": 300,
                "period": "月",
                "unit": "人",
            },
            {
                "program_code": "GD",
                "program_name": "耕地地力保护补贴",
                "department": "农业农村局",
                "standard_amount": 100,
                "period": "月",
                "unit": "户",
            },
        ]
    ).to_csv(folder / "programs.csv", index=False, encoding="utf-8-sig")
    rows = []
    for month in range(1, 10):
        for index, person in residents.iterrows():
            if person["relation"] == "户主" or person["id_number"] == mother:
                program = "DB" if person["id_number"] in {mother, dead_early, dead_late} else "GD"
                amount = 300.0 if program == "DB" else 100.0
                rows.append(
                    {
                        "payment_id": f"P{month:02d}{index:03d}",
                        "program_code": program,
                        "program_name": {"DB": "城乡最低生活保障", "GD": "耕地地力保护补贴"}[
                            program
                        ],
                        "id_number": person["id_number"],
                        "name": person["name"],
                        "account_no": f"62284800{index:011d}",
                        "amount": amount,
                        "pay_date": f"2024-{month:02d}-15",
                        "village_code": person["village_code"],
                    }
                )
    pd.DataFrame(rows).to_csv(folder / "payments.csv", index=False, encoding="utf-8-sig")
    return {
        "dead_early": dead_early,
        "dead_late": dead_late,
        "mother": mother,
        "official": official_son,
    }
