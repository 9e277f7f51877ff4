<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): plan D of the plan-priority example: a paraplu plan (vastgesteld 2019) with only a Dubbelbestemming Waarde - Archeologie and a Gebiedsaanduiding. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Dubbelbestemming gml:id="NL.IMRO.9999.DBparapluarcheo">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.DBparapluarcheo</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>dubbelbestemming</imro:typePlanobject>
      <imro:naam>Waarde - Archeologie</imro:naam>
      <imro:bestemmingshoofdgroep>waarde</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>2</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPparaplu-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id9" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150150 420000 150250 420000 150250 420200 150150 420200 150150 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Dubbelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Gebiedsaanduiding gml:id="NL.IMRO.9999.GAparaplukern">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.GAparaplukern</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>gebiedsaanduiding</imro:typePlanobject>
      <imro:naam>overige zone - kernzone</imro:naam>
      <imro:gebiedsaanduidinggroep>overige zone</imro:gebiedsaanduidinggroep>
      <imro:artikelnummer>2.3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPparaplu-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id10" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150150 420000 150250 420000 150250 420200 150150 420200 150150 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Gebiedsaanduiding>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.BPparaplu-VA01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BPparaplu</imro:lokaalID><imro:versie>VA01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>bestemmingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Paraplu archeologie</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>vastgesteld</imro:planstatus>
          <imro:datum>2019-01-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id11" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>150150 420000 150250 420000 150250 420200 150150 420200 150150 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
