-- The scoring macro applies every METRICS.md §4 method from seed-shaped rows; the thresholds here are
-- the examples of METRICS.md §6, as data. Returns the cases whose points differ from the expected.
with

cases (
    case_name, method, max_points, target, bands, zero_denominator, numerator, denominator, expected_points
) as (
    values
    ('proportional at half', 'proportional', 20.0, 1.0, null, 'not_applicable', 5, 10, 10.0),
    ('proportional capped at max', 'proportional', 4.0, 0.8, null, 'not_applicable', 9, 10, 4.0),
    ('proportional below target', 'proportional', 6.0, 0.5, null, 'not_applicable', 1, 4, 3.0),
    ('proportional no target', 'proportional', 20.0, null, null, 'not_applicable', 3, 4, 15.0),
    ('bands top', 'bands', 2.0, null, '[[1.0, 2.0], [0.98, 1.5], [0.95, 1.0], [0.9, 0.5]]', 'full', 10, 10, 2.0),
    ('bands middle', 'bands', 2.0, null, '[[1.0, 2.0], [0.98, 1.5], [0.95, 1.0], [0.9, 0.5]]', 'full', 97, 100, 1.0),
    ('bands none', 'bands', 2.0, null, '[[1.0, 2.0], [0.98, 1.5], [0.95, 1.0], [0.9, 0.5]]', 'full', 1, 2, 0.0),
    ('bands_max zero', 'bands_max', 1.0, null, '[[0, 1.0], [0.01, 0.5]]', 'full', 0, 200, 1.0),
    ('bands_max low', 'bands_max', 1.0, null, '[[0, 1.0], [0.01, 0.5]]', 'full', 1, 200, 0.5),
    ('bands_max high', 'bands_max', 1.0, null, '[[0, 1.0], [0.01, 0.5]]', 'full', 50, 200, 0.0),
    ('zero_is_full none', 'zero_is_full', 0.5, null, null, 'full', 0, 12, 0.5),
    ('zero_is_full some', 'zero_is_full', 0.5, null, null, 'full', 2, 12, 0.0),
    ('empty full', 'bands', 1.0, null, '[[1.0, 1.0], [0.8, 0.5]]', 'full', 0, 0, 1.0),
    ('empty not applicable', 'proportional', 20.0, 1.0, null, 'not_applicable', 0, 0, null)
),

scored as (
    select
        scoring_rule.case_name,
        scoring_rule.expected_points,
        {{ score_points(
            'scoring_rule',
            'cast(scoring_rule.numerator as double) / nullif(scoring_rule.denominator, 0)',
            'scoring_rule.numerator',
            'scoring_rule.denominator'
        ) }} as points
    from cases as scoring_rule
)

select
    case_name,
    expected_points,
    points
from scored
where
    (points is null) != (expected_points is null)
    or abs(points - expected_points) > 1e-9
