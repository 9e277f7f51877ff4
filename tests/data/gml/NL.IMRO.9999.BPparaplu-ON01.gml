<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form: a
     "paraplu" bestemmingsplan (it changes the rules of other plans in its area) with a
     Bestemmingsplangebied and one Dubbelbestemming, and no Enkelbestemming, like
     NL.IMRO.0297.BGBBP20140020-OW01 in /work/shared/data/nl/zoning. RD New (EPSG:28992). -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Dubbelbestemming gml:id="NL.IMRO.9999.DP0000000001-00">
      <imro:identificatie>
        <imro:NEN3610ID>
          <imro:namespace>NL.IMRO</imro:namespace>
          <imro:lokaalID>9999.DP0000000001-00</imro:lokaalID>
        </imro:NEN3610ID>
      </imro:identificatie>
      <imro:typePlanobject>dubbelbestemming</imro:typePlanobject>
      <imro:naam>Waarde - Archeologie</imro:naam>
      <imro:bestemmingshoofdgroep>waarde</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>2</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPparaplu-ON01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id1" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:patches>
            <gml:PolygonPatch>
              <gml:exterior>
                <gml:LinearRing>
                  <gml:posList>150000 420000 150100 420000 150100 420100 150000 420100 150000 420000</gml:posList>
                </gml:LinearRing>
              </gml:exterior>
            </gml:PolygonPatch>
          </gml:patches>
        </gml:Surface>
      </imro:geometrie>
    </imro:Dubbelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.BPparaplu-ON01">
      <imro:identificatie>
        <imro:NEN3610ID>
          <imro:namespace>NL.IMRO</imro:namespace>
          <imro:lokaalID>9999.BPparaplu</imro:lokaalID>
          <imro:versie>ON01</imro:versie>
        </imro:NEN3610ID>
      </imro:identificatie>
      <imro:typePlan>bestemmingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Paraplu archeologie</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>ontwerp</imro:planstatus>
          <imro:datum>2015-06-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id2" srsName="urn:ogc:def:crs:EPSG::28992">
          <gml:patches>
            <gml:PolygonPatch>
              <gml:exterior>
                <gml:Ring>
                  <gml:curveMember>
                    <gml:Curve gml:id="id3">
                      <gml:segments>
                        <gml:LineStringSegment>
                          <gml:posList>149900 419900 150200 419900 150200 420200</gml:posList>
                        </gml:LineStringSegment>
                        <gml:Arc>
                          <gml:posList>150200 420200 150050 420350 149900 420200</gml:posList>
                        </gml:Arc>
                        <gml:LineStringSegment>
                          <gml:posList>149900 420200 149900 419900</gml:posList>
                        </gml:LineStringSegment>
                      </gml:segments>
                    </gml:Curve>
                  </gml:curveMember>
                </gml:Ring>
              </gml:exterior>
            </gml:PolygonPatch>
          </gml:patches>
        </gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
