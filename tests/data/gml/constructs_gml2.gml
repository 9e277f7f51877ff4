<?xml version="1.0" encoding="UTF-8"?>
<!-- Written for Woonplek Sitefinder's tests of etl/gml.py: GML 2.1.2 geometries (gml:coordinates,
     outerBoundaryIs/innerBoundaryIs, MultiPolygon, MultiLineString). RD New (EPSG:28992, metres). -->
<t:FeatureCollection xmlns:t="https://example.org/sitefinder/gmltest"
    xmlns:gml="http://www.opengis.net/gml" fid="constructs-2">
  <gml:featureMember>
    <t:Feature fid="f.gml2-polygon">
      <t:name>Polygon with gml:coordinates, an outer and an inner boundary</t:name>
      <t:geometry>
        <gml:Polygon srsName="EPSG:28992">
          <gml:outerBoundaryIs>
            <gml:LinearRing>
              <gml:coordinates decimal="." cs="," ts=" ">100000,450000 100100,450000 100100,450100 100000,450100 100000,450000</gml:coordinates>
            </gml:LinearRing>
          </gml:outerBoundaryIs>
          <gml:innerBoundaryIs>
            <gml:LinearRing>
              <gml:coordinates>100020,450020 100020,450040 100040,450040 100040,450020 100020,450020</gml:coordinates>
            </gml:LinearRing>
          </gml:innerBoundaryIs>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </gml:featureMember>
  <gml:featureMember>
    <t:Feature fid="f.gml2-multipolygon">
      <t:name>MultiPolygon of two polygonMembers; coordinates with a decimal comma, cs ";"</t:name>
      <t:geometry>
        <gml:MultiPolygon srsName="EPSG:28992">
          <gml:polygonMember>
            <gml:Polygon>
              <gml:outerBoundaryIs><gml:LinearRing><gml:coordinates decimal="," cs=";" ts=" ">100000;451000 100010,5;451000 100010,5;451010 100000;451010 100000;451000</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs>
            </gml:Polygon>
          </gml:polygonMember>
          <gml:polygonMember>
            <gml:Polygon>
              <gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>100020,451000,0 100030,451000,0 100030,451010,0 100020,451010,0 100020,451000,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs>
            </gml:Polygon>
          </gml:polygonMember>
        </gml:MultiPolygon>
      </t:geometry>
    </t:Feature>
  </gml:featureMember>
  <gml:featureMember>
    <t:Feature fid="f.gml2-multilinestring">
      <t:name>MultiLineString of two lineStringMembers</t:name>
      <t:geometry>
        <gml:MultiLineString srsName="EPSG:28992">
          <gml:lineStringMember><gml:LineString><gml:coordinates>100000,452000 100010,452000</gml:coordinates></gml:LineString></gml:lineStringMember>
          <gml:lineStringMember><gml:LineString><gml:coordinates>100000,452010 100010,452010</gml:coordinates></gml:LineString></gml:lineStringMember>
        </gml:MultiLineString>
      </t:geometry>
    </t:Feature>
  </gml:featureMember>
</t:FeatureCollection>
