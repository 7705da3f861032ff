"""Countries (ISO 3166-1 alpha-2) by continent, as the centre reports them.

Data, not code: one line per continent. The grouping follows the centre's own
report rather than strict geography: Russia and Turkey count as Europe (as the
centre lists its clients' countries), the Caucasus and Central Asia as Asia.
Antarctic territories have no continent of the five and report as "Other".
"""

from __future__ import annotations

CONTINENTS = ("Europe", "Asia", "Africa", "Americas", "Oceania")
OTHER = "Other"

_BY_CONTINENT = {
    "Europe": "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM"
              " IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA"
              " VA XK",
    "Asia": "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ"
            " LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TW UZ VN YE",
    "Africa": "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR"
              " LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN"
              " TZ UG YT ZA ZM ZW",
    "Americas": "AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP"
                " GT GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC"
                " VE VG VI",
    "Oceania": "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
    OTHER: "AQ BV GS HM TF",
}

CONTINENT_OF: dict[str, str] = {code: continent for continent, codes in _BY_CONTINENT.items()
                                for code in codes.split()}


def continent_of(country: str | None) -> str:
    """The report's continent for a country code; "Unknown" when no country is recorded."""
    if not country:
        return "Unknown"
    return CONTINENT_OF.get(country, OTHER)


def is_country(code: object) -> bool:
    return isinstance(code, str) and code in CONTINENT_OF
