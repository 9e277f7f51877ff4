-- Public transport access (metres, EPSG:28992). Walking distance is approximated as the straight
-- line times %(detour)s. The nearest local stop (bus, tram, metro, ferry) and the nearest railway
-- station are valued with their own breakpoints; the better value counts. Outside the stops
-- layer's coverage the criterion is missing.
INSERT INTO site_criterion (site_id, criterion, raw, value, missing, excluded, detail)
SELECT s.id, 'transit', best.walk_m, best.v, best.v IS NULL, false,
       CASE WHEN best.v IS NULL THEN jsonb_build_object('missing', 'no_data_here')
            ELSE jsonb_build_object('name', best.name, 'category', best.category,
                                    'distance_m', round(best.walk_m)) END
FROM site s
LEFT JOIN layer_coverage cov
       ON cov.layer = 'stops' AND (cov.national OR ST_Intersects(cov.geom, s.geom))
LEFT JOIN LATERAL (
    SELECT p.name, p.category, ST_Distance(p.geom, s.geom) * %(detour)s AS walk_m
    FROM poi p
    WHERE p.layer = 'stops' AND p.category <> 'rail'
    ORDER BY p.geom <-> s.geom
    LIMIT 1) l ON cov.layer IS NOT NULL
LEFT JOIN LATERAL (
    SELECT p.name, p.category, ST_Distance(p.geom, s.geom) * %(detour)s AS walk_m
    FROM poi p
    WHERE p.layer = 'stops' AND p.category = 'rail'
    ORDER BY p.geom <-> s.geom
    LIMIT 1) r ON cov.layer IS NOT NULL
LEFT JOIN LATERAL (
    SELECT c.name, c.category, c.walk_m, c.v
    FROM (VALUES
        (l.name, l.category, l.walk_m,
         sf_piecewise(l.walk_m, %(local_xs)s::float8[], %(local_ys)s::float8[])),
        (r.name, r.category, r.walk_m,
         sf_piecewise(r.walk_m, %(rail_xs)s::float8[], %(rail_ys)s::float8[]))
    ) AS c(name, category, walk_m, v)
    WHERE c.v IS NOT NULL
    ORDER BY c.v DESC, c.walk_m
    LIMIT 1) best ON true
