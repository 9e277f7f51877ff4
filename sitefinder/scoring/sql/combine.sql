-- Weighted sum over the criteria that have data, weights renormalised over those criteria.
-- A site is excluded when any criterion excludes it (its score is then NULL); a site without
-- data for any weighted criterion also gets NULL.
INSERT INTO site_score (site_id, profile, score, excluded, reasons, breakdown, computed_at)
WITH w AS (
    SELECT key AS criterion, value::float8 AS weight
    FROM jsonb_each_text(%(weights)s::jsonb)
), c AS (
    SELECT sc.*, w.weight
    FROM site_criterion sc
    JOIN w USING (criterion)
), tot AS (
    SELECT site_id,
           NULLIF(sum(weight) FILTER (WHERE NOT missing), 0) AS wsum,
           bool_or(excluded) AS excluded
    FROM c
    GROUP BY site_id
)
SELECT c.site_id, %(profile)s,
       CASE WHEN tot.excluded THEN NULL
            ELSE sum(c.weight * c.value) FILTER (WHERE NOT c.missing) / tot.wsum END,
       tot.excluded,
       COALESCE(jsonb_agg(jsonb_build_object('criterion', c.criterion, 'detail', c.detail)
                          ORDER BY c.criterion) FILTER (WHERE c.excluded), '[]'::jsonb),
       jsonb_agg(jsonb_build_object(
           'criterion', c.criterion,
           'raw', c.raw,
           'value', c.value,
           'weight', c.weight,
           'effective_weight', CASE WHEN c.missing THEN 0 ELSE COALESCE(c.weight / tot.wsum, 0) END,
           'contribution',
               CASE WHEN c.missing THEN 0 ELSE COALESCE(c.weight * c.value / tot.wsum, 0) END,
           'missing', c.missing,
           'excluded', c.excluded,
           'detail', c.detail) ORDER BY c.criterion),
       now()
FROM c
JOIN tot USING (site_id)
GROUP BY c.site_id, tot.excluded, tot.wsum
