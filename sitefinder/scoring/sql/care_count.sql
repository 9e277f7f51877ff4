-- Care density: the number of care facilities within %(radius)s metres (straight line,
-- EPSG:28992). Missing outside the care layer's coverage.
INSERT INTO site_criterion (site_id, criterion, raw, value, missing, excluded, detail)
SELECT s.id, 'care_count', n.n,
       sf_piecewise(n.n, %(xs)s::float8[], %(ys)s::float8[]),
       cov.layer IS NULL, false,
       CASE WHEN cov.layer IS NULL THEN jsonb_build_object('missing', 'no_data_here')
            ELSE jsonb_build_object('radius_m', %(radius)s::float8) END
FROM site s
LEFT JOIN layer_coverage cov
       ON cov.layer = 'care' AND (cov.national OR ST_Intersects(cov.geom, s.geom))
LEFT JOIN LATERAL (
    SELECT count(*)::float8 AS n
    FROM poi p
    WHERE p.layer = 'care' AND ST_DWithin(p.geom, s.geom, %(radius)s)) n ON cov.layer IS NOT NULL
