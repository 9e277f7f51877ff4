<?xml version="1.0" encoding="UTF-8"?>
<!-- Written for Woonplek Sitefinder's tests of etl/gml.py: one feature per GML 3.2 geometry
     construct the reader supports (and a few it must refuse). RD New coordinates (EPSG:28992,
     metres) around x=100000, y=450000. The expected geometries are in tests/test_etl_gml.py. -->
<t:FeatureCollection xmlns:t="https://example.org/sitefinder/gmltest"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    gml:id="constructs-32">
  <t:featureMember>
    <t:Feature gml:id="f.polygon-hole">
      <t:name>Polygon, LinearRing posList, exterior and interior</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.polygon-hole" srsName="urn:ogc:def:crs:EPSG::28992" srsDimension="2">
          <gml:exterior>
            <gml:LinearRing>
              <gml:posList count="5">100000 450000 100100 450000 100100 450100 100000 450100 100000 450000</gml:posList>
            </gml:LinearRing>
          </gml:exterior>
          <gml:interior>
            <gml:LinearRing>
              <gml:posList count="5">100020 450020 100020 450040 100040 450040 100040 450020 100020 450020</gml:posList>
            </gml:LinearRing>
          </gml:interior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.polygon-pos-3d">
      <t:name>Polygon, LinearRing of gml:pos, srsDimension 3 on the Polygon</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.polygon-pos-3d" srsName="urn:ogc:def:crs:EPSG::28992" srsDimension="3">
          <gml:exterior>
            <gml:LinearRing>
              <gml:pos>100000 450000 1.5</gml:pos>
              <gml:pos>100010 450000 1.5</gml:pos>
              <gml:pos>100010 450010 2.0</gml:pos>
              <gml:pos>100000 450010 2.0</gml:pos>
              <gml:pos>100000 450000 1.5</gml:pos>
            </gml:LinearRing>
          </gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.ring-curvemembers">
      <t:name>Ring of three curveMembers: LineStringSegment, Arc (a half circle), LineString</t:name>
      <t:geometry>
        <gml:Surface gml:id="g.ring-curvemembers" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:patches>
            <gml:PolygonPatch>
              <gml:exterior>
                <gml:Ring>
                  <gml:curveMember>
                    <gml:Curve gml:id="c.1">
                      <gml:segments>
                        <gml:LineStringSegment>
                          <gml:posList>100000 450000 100100 450000 100100 450100</gml:posList>
                        </gml:LineStringSegment>
                      </gml:segments>
                    </gml:Curve>
                  </gml:curveMember>
                  <gml:curveMember>
                    <gml:Curve gml:id="c.2">
                      <gml:segments>
                        <gml:Arc>
                          <gml:posList>100100 450100 100050 450150 100000 450100</gml:posList>
                        </gml:Arc>
                      </gml:segments>
                    </gml:Curve>
                  </gml:curveMember>
                  <gml:curveMember>
                    <gml:LineString gml:id="c.3">
                      <gml:posList>100000 450100 100000 450000</gml:posList>
                    </gml:LineString>
                  </gml:curveMember>
                </gml:Ring>
              </gml:exterior>
            </gml:PolygonPatch>
          </gml:patches>
        </gml:Surface>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.arcstring">
      <t:name>Ring of one Curve with an ArcString of two arcs: a whole circle, radius 10 m</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.arcstring" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior>
            <gml:Ring>
              <gml:curveMember>
                <gml:Curve gml:id="c.arcstring">
                  <gml:segments>
                    <gml:ArcString>
                      <gml:posList>100210 450000 100200 450010 100190 450000 100200 449990 100210 450000</gml:posList>
                    </gml:ArcString>
                  </gml:segments>
                </gml:Curve>
              </gml:curveMember>
            </gml:Ring>
          </gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.circle">
      <t:name>Ring of one Curve with a Circle through three points, radius 25 m, clockwise</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.circle" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior>
            <gml:Ring>
              <gml:curveMember>
                <gml:Curve gml:id="c.circle">
                  <gml:segments>
                    <gml:Circle>
                      <gml:posList>100325 450000 100300 449975 100275 450000</gml:posList>
                    </gml:Circle>
                  </gml:segments>
                </gml:Curve>
              </gml:curveMember>
            </gml:Ring>
          </gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.surface-patches">
      <t:name>Surface of two PolygonPatches</t:name>
      <t:geometry>
        <gml:Surface gml:id="g.surface-patches" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:patches>
            <gml:PolygonPatch>
              <gml:exterior><gml:LinearRing><gml:posList>100000 451000 100010 451000 100010 451010 100000 451010 100000 451000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:PolygonPatch>
            <gml:PolygonPatch>
              <gml:exterior><gml:LinearRing><gml:posList>100020 451000 100040 451000 100040 451010 100020 451010 100020 451000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:PolygonPatch>
          </gml:patches>
        </gml:Surface>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.multisurface">
      <t:name>MultiSurface: a surfaceMember Polygon and a surfaceMember Surface</t:name>
      <t:geometry>
        <gml:MultiSurface gml:id="g.multisurface" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:surfaceMember>
            <gml:Polygon gml:id="g.multisurface.1">
              <gml:exterior><gml:LinearRing><gml:posList>100000 452000 100010 452000 100010 452010 100000 452010 100000 452000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:Polygon>
          </gml:surfaceMember>
          <gml:surfaceMember>
            <gml:Surface gml:id="g.multisurface.2">
              <gml:patches>
                <gml:PolygonPatch>
                  <gml:exterior><gml:LinearRing><gml:posList>100100 452000 100130 452000 100130 452010 100100 452010 100100 452000</gml:posList></gml:LinearRing></gml:exterior>
                </gml:PolygonPatch>
              </gml:patches>
            </gml:Surface>
          </gml:surfaceMember>
        </gml:MultiSurface>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.multisurface-members">
      <t:name>MultiSurface with one surfaceMembers holding two Polygons</t:name>
      <t:geometry>
        <gml:MultiSurface gml:id="g.multisurface-members" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:surfaceMembers>
            <gml:Polygon gml:id="g.multisurface-members.1">
              <gml:exterior><gml:LinearRing><gml:posList>100000 453000 100010 453000 100010 453010 100000 453010 100000 453000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:Polygon>
            <gml:Polygon gml:id="g.multisurface-members.2">
              <gml:exterior><gml:LinearRing><gml:posList>100020 453000 100030 453000 100030 453010 100020 453010 100020 453000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:Polygon>
          </gml:surfaceMembers>
        </gml:MultiSurface>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.compositesurface">
      <t:name>CompositeSurface of two Polygons that share an edge</t:name>
      <t:geometry>
        <gml:CompositeSurface gml:id="g.compositesurface" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:surfaceMember>
            <gml:Polygon gml:id="g.compositesurface.1">
              <gml:exterior><gml:LinearRing><gml:posList>100000 454000 100010 454000 100010 454010 100000 454010 100000 454000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:Polygon>
          </gml:surfaceMember>
          <gml:surfaceMember>
            <gml:Polygon gml:id="g.compositesurface.2">
              <gml:exterior><gml:LinearRing><gml:posList>100010 454000 100020 454000 100020 454010 100010 454010 100010 454000</gml:posList></gml:LinearRing></gml:exterior>
            </gml:Polygon>
          </gml:surfaceMember>
        </gml:CompositeSurface>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.count-dimension">
      <t:name>posList without srsDimension: three numbers per point, told by count</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.count-dimension" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior><gml:LinearRing><gml:posList count="4">100000 455000 3 100010 455000 3 100000 455010 3 100000 455000 3</gml:posList></gml:LinearRing></gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.linestring">
      <t:name>LineString</t:name>
      <t:geometry>
        <gml:LineString gml:id="g.linestring" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:posList>100000 456000 100010 456000 100010 456010</gml:posList>
        </gml:LineString>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.orientable">
      <t:name>OrientableCurve, orientation minus: the base curve reversed</t:name>
      <t:geometry>
        <gml:OrientableCurve gml:id="g.orientable" orientation="-" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:baseCurve>
            <gml:Curve gml:id="g.orientable.base">
              <gml:segments>
                <gml:LineStringSegment><gml:posList>100000 457000 100010 457000</gml:posList></gml:LineStringSegment>
                <gml:LineStringSegment><gml:posList>100010 457000 100010 457010</gml:posList></gml:LineStringSegment>
              </gml:segments>
            </gml:Curve>
          </gml:baseCurve>
        </gml:OrientableCurve>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.multicurve">
      <t:name>MultiCurve: a LineString and a Curve with an Arc (a quarter circle, radius 10 m)</t:name>
      <t:geometry>
        <gml:MultiCurve gml:id="g.multicurve" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:curveMember>
            <gml:LineString gml:id="g.multicurve.1"><gml:posList>100000 458000 100005 458000</gml:posList></gml:LineString>
          </gml:curveMember>
          <gml:curveMember>
            <gml:Curve gml:id="g.multicurve.2">
              <gml:segments>
                <gml:Arc><gml:posList>100110 458000 100107.0710678 458007.0710678 100100 458010</gml:posList></gml:Arc>
              </gml:segments>
            </gml:Curve>
          </gml:curveMember>
        </gml:MultiCurve>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.point">
      <t:name>Point</t:name>
      <t:geometry>
        <gml:Point gml:id="g.point" srsName="urn:ogc:def:crs:EPSG::28992"><gml:pos>100000 459000</gml:pos></gml:Point>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.multipoint">
      <t:name>MultiPoint of two pointMembers</t:name>
      <t:geometry>
        <gml:MultiPoint gml:id="g.multipoint" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:pointMember><gml:Point gml:id="g.multipoint.1"><gml:pos>100000 459100</gml:pos></gml:Point></gml:pointMember>
          <gml:pointMember><gml:Point gml:id="g.multipoint.2"><gml:pos>100010 459100</gml:pos></gml:Point></gml:pointMember>
        </gml:MultiPoint>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.ring-of-three">
      <t:name>Unreadable: a LinearRing of three points</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.ring-of-three" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior><gml:LinearRing><gml:posList>100000 460000 100010 460000 100000 460000</gml:posList></gml:LinearRing></gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.not-numbers">
      <t:name>Unreadable: coordinates that are not numbers</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.not-numbers" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior><gml:LinearRing><gml:posList>100000 461000 100010 461000 x 461010 100000 461000</gml:posList></gml:LinearRing></gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.unsupported">
      <t:name>Unreadable: a segment this reader does not support (ArcByCenterPoint)</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.unsupported" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior>
            <gml:Ring>
              <gml:curveMember>
                <gml:Curve gml:id="c.unsupported">
                  <gml:segments>
                    <gml:ArcByCenterPoint numArc="1">
                      <gml:pos>100000 462000</gml:pos>
                      <gml:radius uom="m">10</gml:radius>
                      <gml:startAngle uom="deg">0</gml:startAngle>
                      <gml:endAngle uom="deg">360</gml:endAngle>
                    </gml:ArcByCenterPoint>
                  </gml:segments>
                </gml:Curve>
              </gml:curveMember>
            </gml:Ring>
          </gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.referenced">
      <t:name>Unreadable: a curveMember that only refers to a curve elsewhere (xlink)</t:name>
      <t:geometry>
        <gml:Polygon gml:id="g.referenced" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:exterior><gml:Ring><gml:curveMember xlink:href="#c.1"/></gml:Ring></gml:exterior>
        </gml:Polygon>
      </t:geometry>
    </t:Feature>
  </t:featureMember>
  <t:featureMember>
    <t:Feature gml:id="f.empty">
      <t:name>No geometry: an empty geometry property</t:name>
      <t:geometry/>
    </t:Feature>
  </t:featureMember>
</t:FeatureCollection>
