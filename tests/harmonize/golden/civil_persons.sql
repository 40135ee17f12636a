-- harmonize civil_persons: 5 mapped fields
-- _arrow_1: family_name through upper, reverse in Arrow, before the plan
SELECT
  h._record_no,
  h._source_pos,
  "h"."s_0".value AS "national_id",
  "h"."o_0" AS "national_id__orig",
  "h"."s_0".flag AS "national_id__flag",
  "h"."s_1".value AS "family_name",
  "h"."o_1" AS "family_name__orig",
  "h"."s_1".flag AS "family_name__flag",
  "h"."s_2".value AS "given_name",
  "h"."o_2" AS "given_name__orig",
  "h"."s_2".flag AS "given_name__flag",
  "h"."s_3".value AS "birth_date",
  "h"."o_3" AS "birth_date__orig",
  "h"."s_3".flag AS "birth_date__flag",
  CASE LOWER(TRIM(CAST("h"."s_4".value AS TEXT)))
    WHEN 'single'
    THEN 'single'
    WHEN 'married'
    THEN 'married'
    WHEN 'widowed'
    THEN 'widowed'
    WHEN 'divorced'
    THEN 'divorced'
    WHEN 's'
    THEN 'single'
    WHEN 'm'
    THEN 'married'
    WHEN 'w'
    THEN 'widowed'
  END AS "marital_status",
  "h"."o_4" AS "marital_status__orig",
  COALESCE(
    "h"."s_4".flag,
    CASE
      WHEN NOT "h"."s_4".value IS NULL
      AND NOT TRIM(CAST("h"."s_4".value AS TEXT)) = ''
      AND NOT LOWER(TRIM(CAST("h"."s_4".value AS TEXT))) IN ('single', 'married', 'widowed', 'divorced', 's', 'm', 'w')
      THEN 'unmapped_code'
    END
  ) AS "marital_status__flag"
FROM (
  SELECT
    _record_no,
    _source_pos,
    "o_0",
    {'value': CASE
      WHEN "x_0_1"
      OR COALESCE(
        (
          (
            REGEXP_FULL_MATCH("x_0_0", '[0-9]+')
            AND LENGTH("x_0_0") >= 6
            AND (
              STRPOS('01234567890123456789', "x_0_0") > 0
              OR STRPOS('98765432109876543210', "x_0_0") > 0
            )
          )
          OR REGEXP_FULL_MATCH("x_0_0", '(?:0{6,}|1{6,}|2{6,}|3{6,}|4{6,}|5{6,}|6{6,}|7{6,}|8{6,}|9{6,})')
        ),
        FALSE
      )
      THEN NULL
      ELSE "x_0_0"
    END, 'flag': COALESCE(
      "s_0".flag,
      CASE
        WHEN COALESCE(
          (
            (
              REGEXP_FULL_MATCH("x_0_0", '[0-9]+')
              AND LENGTH("x_0_0") >= 6
              AND (
                STRPOS('01234567890123456789', "x_0_0") > 0
                OR STRPOS('98765432109876543210', "x_0_0") > 0
              )
            )
            OR REGEXP_FULL_MATCH("x_0_0", '(?:0{6,}|1{6,}|2{6,}|3{6,}|4{6,}|5{6,}|6{6,}|7{6,}|8{6,}|9{6,})')
          ),
          FALSE
        )
        THEN 'placeholder_identifier'
        WHEN "x_0_1"
        THEN 'invalid_identifier'
        WHEN FALSE
        THEN 'leading_zeros_restored'
      END
    )} AS "s_0",
    "o_1",
    "s_1",
    "o_2",
    "s_2",
    "o_3",
    {'value': "x_3_1", 'flag': COALESCE(
      "s_3".flag,
      CASE
        WHEN FALSE
        THEN 'ambiguous_date'
        WHEN NOT "x_3_0" IS NULL AND "x_3_1" IS NULL
        THEN 'unparseable_date'
      END
    )} AS "s_3",
    "o_4",
    "s_4"
  FROM (
    SELECT
      *,
      NOT COALESCE(
        CASE
          WHEN "x_0_0" IS NULL
          THEN NULL
          ELSE (
            TRUE
            AND COALESCE(LENGTH("x_0_0") = 14, FALSE)
            AND COALESCE(REGEXP_FULL_MATCH("x_0_0", '^(?:[12][0-9]{13})$'), FALSE)
          )
        END,
        TRUE
      ) AS "x_0_1",
      CAST(TRY_STRPTIME(
        REGEXP_REPLACE(
          "x_3_0",
          '(?s)^([0-9]{1,2})\x{2E}([0-9]{1,2})\x{2E}([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)$|^.*$',
          '\3-\2-\1',
          'g'
        ),
        '%Y-%m-%d'
      ) AS DATE) AS "x_3_1"
    FROM (
      SELECT
        *,
        UPPER(
          REGEXP_REPLACE(
            NULLIF(REGEXP_REPLACE("s_0".value, '^\s*([0-9]+)\.0+\s*$|^\s+|\s+$', '\1', 'g'), ''),
            '[\x{20}\x{2D}\x{2E}\x{2F}]',
            '',
            'g'
          )
        ) AS "x_0_0",
        NULLIF(REGEXP_REPLACE("s_3".value, '^\s*([0-9]+)\.0+\s*$|^\s+|\s+$', '\1', 'g'), '') AS "x_3_0"
      FROM (
        SELECT
          _record_no,
          _source_pos,
          CAST("pin" AS TEXT) AS "o_0",
          {'value': CAST("pin" AS TEXT), 'flag': CAST(NULL AS TEXT)} AS "s_0",
          CAST("family_name" AS TEXT) AS "o_1",
          "_arrow_1" AS "s_1",
          CAST("given_name" AS TEXT) AS "o_2",
          {'value': "given_name", 'flag': CAST(NULL AS TEXT)} AS "s_2",
          CAST("birth_date" AS TEXT) AS "o_3",
          {'value': CAST("birth_date" AS TEXT), 'flag': CAST(NULL AS TEXT)} AS "s_3",
          CAST("marital" AS TEXT) AS "o_4",
          {'value': CAST("marital" AS TEXT), 'flag': CAST(NULL AS TEXT)} AS "s_4"
        FROM landing
      ) AS p1_1
    ) AS p1_2
  ) AS l1
) AS h
