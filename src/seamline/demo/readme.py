"""The README.md written into the demo workspace."""

from __future__ import annotations

README = """\
# The demo scenario: four registers of one country

Everything here is invented: the country is Kyrgyz Republic-flavoured, but the agencies,
people, personal numbers and contacts are made up by `seamline demo` (seed $seed,
$people people).

## Who holds what

| Agency | System | Dataset | File | Records |
|---|---|---|---|---|
| State Civil Registration Service | mainframe (batch file) | `civil_persons` | `data/civil/persons.dat` + `persons.cpy` | $civil |
| State Tax Service | taxpayer database | `tax_payers` | `data/tax/tax.sqlite`, table `taxpayers` | $tax |
| Social Fund | case system (file export) | `social_cases` | `data/social/beneficiaries.ndjson` | $social |
| State Address Register Agency | address register | `addresses` (reference) | `data/address/addresses.csv` | $addresses |

- **Civil registry**: fixed-length 160-byte EBCDIC (code page 037) records laid out by a
  COBOL copybook. Dates and the registration number are packed decimal (COMP-3); names
  are Latin capitals because the code page has no Cyrillic. Marital status is a letter
  (S/M/D/W), status a letter (A active, E emigrated, D deceased).
- **Tax service**: SQLite. `tin` (10 digits, leading zeros kept) is the key; the PIN is
  typed with dashes, spaces or dots, sometimes missing; the full name is one Cyrillic
  field; the address is free text in four styles; status is a word.
- **Social fund**: NDJSON, nested (`person.name.first`, `address.region`, ...). Birth dates
  are DD.MM.YYYY; status and marital status are numbers; the TIN is a JSON number, so
  its leading zeros are lost; some names were typed in Latin by clerks.
- **Address register**: UTF-8 CSV of structured addresses, the reference data.

## What is wrong with the data (on purpose)

- identifiers with and without separators, a PIN sometimes stored as a number, TINs
  whose leading zeros are lost;
- names in Cyrillic (tax, social fund) and in two different Latin spellings (civil
  registry: ZHYLDYZ, social fund clerks: Jyldyz);
- dates in three formats: packed yyyymmdd, ISO yyyy-mm-dd, DD.MM.YYYY;
- status codes as letters, words and numbers (see `codelists/` for the crosswalks);
- typos in about 2% of names; about 1% duplicate taxpayers with a second TIN;
- stale addresses after a move (tax service, social fund);
- deaths registered in the civil registry but not yet in the social fund (benefits
  still active) nor everywhere in the tax service;
- a few undecodable records, for the quarantine: $bad_packed civil records with a bad
  packed-decimal nibble and $malformed NDJSON lines cut off mid-record.

## Ground truth

`_truth/records.csv` names, for each source record (dataset, record key), the true
person (`entity_id`) and the defects put into it; `_truth/entities.csv` has every
person's true values as canonical attributes; `_truth/people.csv` adds the spellings
and codes as the agencies write them. `seamline.yaml` declares `evaluate: {truth: _truth}`,
so `seamline run` scores the links and golden values against it; without that key the
pipeline never reads `_truth/`.

## Try it

```
seamline validate .
seamline run .
```
"""
