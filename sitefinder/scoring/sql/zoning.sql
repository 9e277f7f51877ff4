-- Zoning fitness: the bestemmingshoofdgroep of the Enkelbestemming at the site's point on
-- surface, valued by the profile's class table (%(classes)s, %(default)s for other classes).
-- Classes in %(exclude)s rule the site out. Missing outside the zoning layer's coverage, or where
-- no plan object lies under the site.
INSERT INTO site_criterion (site_id, criterion, raw, value, missing, excluded, detail)
SELECT s.id, 'zoning', NULL,
       CASE WHEN z.category IS NULL THEN NULL
            ELSE COALESCE((%(classes)s::jsonb ->> z.category)::float8, %(default)s::float8) END,
       z.category IS NULL,
       COALESCE(z.category = ANY(%(exclude)s::text[]), false),
       CASE WHEN z.category IS NULL THEN jsonb_build_object('missing', 'no_data_here')
            ELSE jsonb_build_object('category', z.category, 'name', z.name, 'plan', z.code) END
FROM site s
LEFT JOIN layer_coverage cov
       ON cov.layer = 'zoning' AND (cov.national OR ST_Intersects(cov.geom, s.geom))
LEFT JOIN LATERAL (
    SELECT a.category, a.name, a.code
    FROM area a
    WHERE a.layer = 'zoning' AND ST_Intersects(a.geom, ST_PointOnSurface(s.geom))
    ORDER BY a.id
    LIMIT 1) z ON cov.layer IS NOT NULL
