<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): a wijzigingsplan (ontwerp): an Enkelbestemming Wonen whose geometry is a gml:Polygon (not a Surface). -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBboerderij">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBboerderij</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Wonen</imro:naam>
      <imro:bestemmingshoofdgroep>wonen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.WPboerderij-ON01"/>
      <imro:geometrie>
        <gml:Polygon gml:id="id21" srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:LinearRing><gml:posList>151500 420000 151560 420000 151560 420050 151500 420050 151500 420000</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.WPboerderij-ON01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.WPboerderij</imro:lokaalID><imro:versie>ON01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>wijzigingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Wijziging boerderij</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>ontwerp</imro:planstatus>
          <imro:datum>2023-04-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Polygon gml:id="id22" srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:LinearRing><gml:posList>151500 420000 151560 420000 151560 420050 151500 420050 151500 420000</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
