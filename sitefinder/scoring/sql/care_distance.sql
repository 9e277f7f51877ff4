-- Care access: walking-distance proxy (metres, EPSG:28992; straight line x %(detour)s) to the
-- nearest care facility. Missing outside the care layer's coverage.
INSERT INTO site_criterion (site_id, criterion, raw, value, missing, excluded, detail)
SELECT s.id, 'care_distance', n.walk_m,
       sf_piecewise(n.walk_m, %(xs)s::float8[], %(ys)s::float8[]),
       n.walk_m IS NULL, false,
       CASE WHEN n.walk_m IS NULL THEN jsonb_build_object('missing', 'no_data_here')
            ELSE jsonb_build_object('name', n.name, 'category', n.category,
                                    'distance_m', round(n.walk_m)) END
FROM site s
LEFT JOIN layer_coverage cov
       ON cov.layer = 'care' AND (cov.national OR ST_Intersects(cov.geom, s.geom))
LEFT JOIN LATERAL (
    SELECT p.name, p.category, ST_Distance(p.geom, s.geom) * %(detour)s AS walk_m
    FROM poi p
    WHERE p.layer = 'care'
    ORDER BY p.geom <-> s.geom
    LIMIT 1) n ON cov.layer IS NOT NULL
