-- The municipality of every site: the gemeente polygon holding the site's point on surface.
UPDATE site s
SET gemeentecode = g.code
FROM area g
WHERE g.layer = 'gemeenten'
  AND ST_Intersects(g.geom, ST_PointOnSurface(s.geom))
  AND s.gemeentecode IS DISTINCT FROM g.code
