-- Natura 2000: distance (metres, EPSG:28992) from the site to the nearest protected area;
-- 0 means the site overlaps it, which excludes the site when %(exclude)s.
INSERT INTO site_criterion (site_id, criterion, raw, value, missing, excluded, detail)
SELECT s.id, 'natura2000', n.distance_m,
       CASE WHEN cov.layer IS NULL THEN NULL WHEN n.distance_m = 0 THEN 0.0 ELSE 1.0 END,
       cov.layer IS NULL,
       COALESCE(n.distance_m = 0 AND %(exclude)s, false),
       CASE WHEN cov.layer IS NULL THEN jsonb_build_object('missing', 'no_data_here')
            ELSE jsonb_build_object('name', n.name, 'distance_m', round(n.distance_m)) END
FROM site s
LEFT JOIN layer_coverage cov
       ON cov.layer = 'natura2000' AND (cov.national OR ST_Intersects(cov.geom, s.geom))
LEFT JOIN LATERAL (
    SELECT a.name, ST_Distance(a.geom, s.geom) AS distance_m
    FROM area a
    WHERE a.layer = 'natura2000'
    ORDER BY a.geom <-> s.geom
    LIMIT 1) n ON cov.layer IS NOT NULL
