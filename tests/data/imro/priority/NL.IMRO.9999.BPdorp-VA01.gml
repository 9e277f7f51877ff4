<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): plan A of the plan-priority example in docs/scoring.md: vastgesteld 2014, Wonen with a Dubbelbestemming Leiding - Gas on its east side. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBdorpwonen">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBdorpwonen</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Wonen</imro:naam>
      <imro:bestemmingshoofdgroep>wonen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPdorp-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id1" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150000 420000 150400 420000 150400 420200 150000 420200 150000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Dubbelbestemming gml:id="NL.IMRO.9999.DBdorpgas">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.DBdorpgas</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>dubbelbestemming</imro:typePlanobject>
      <imro:naam>Leiding - Gas</imro:naam>
      <imro:bestemmingshoofdgroep>leiding</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>5</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPdorp-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id2" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150300 420000 150400 420000 150400 420200 150300 420200 150300 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Dubbelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.BPdorp-VA01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BPdorp</imro:lokaalID><imro:versie>VA01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>bestemmingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Dorp</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>vastgesteld</imro:planstatus>
          <imro:datum>2014-03-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id3" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150000 420000 150400 420000 150400 420200 150000 420200 150000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
