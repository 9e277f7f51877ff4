<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): plan B of the plan-priority example: an ontwerp of 2020 (newer, but not in force), Kantoor with Waarde - Archeologie, over the west of plan A. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBcentrumkantoor">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBcentrumkantoor</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Kantoor</imro:naam>
      <imro:bestemmingshoofdgroep>kantoor</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>4</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPcentrum-ON01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id4" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150000 420000 150100 420000 150100 420200 150000 420200 150000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Dubbelbestemming gml:id="NL.IMRO.9999.DBcentrumarcheo">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.DBcentrumarcheo</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>dubbelbestemming</imro:typePlanobject>
      <imro:naam>Waarde - Archeologie</imro:naam>
      <imro:bestemmingshoofdgroep>waarde</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>6</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPcentrum-ON01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id5" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150000 420000 150100 420000 150100 420200 150000 420200 150000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Dubbelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.BPcentrum-ON01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BPcentrum</imro:lokaalID><imro:versie>ON01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>bestemmingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Centrum</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>ontwerp</imro:planstatus>
          <imro:datum>2020-05-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id6" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150000 420000 150100 420000 150100 420200 150000 420200 150000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
