<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): plan C of the plan-priority example: vastgesteld 2018 (newer than plan A), Gemengd over the north-east of plan A. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBzuidgemengd">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBzuidgemengd</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Gemengd</imro:naam>
      <imro:bestemmingshoofdgroep>gemengd</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPzuid-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id7" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150250 420100 150400 420100 150400 420200 150250 420200 150250 420100</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.BPzuid-VA01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BPzuid</imro:lokaalID><imro:versie>VA01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>bestemmingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Zuid</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>vastgesteld</imro:planstatus>
          <imro:datum>2018-06-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id8" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150250 420100 150400 420100 150400 420200 150250 420200 150250 420100</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
