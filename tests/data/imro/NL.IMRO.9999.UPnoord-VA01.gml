<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): an uitwerkingsplan: an Enkelbestemming Woongebied whose geometry is a gml:MultiSurface of two Surfaces, one with an interior ring. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBnoordwonen">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBnoordwonen</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Woongebied</imro:naam>
      <imro:bestemmingshoofdgroep>woongebied</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.UPnoord-VA01"/>
      <imro:geometrie>
        <gml:MultiSurface gml:id="id19" srsName="urn:ogc:def:crs:EPSG::28992"><gml:surfaceMember><gml:Surface gml:id="id17" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>151000 421000 151100 421000 151100 421100 151000 421100 151000 421000</gml:posList></gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing><gml:posList>151040 421040 151060 421040 151060 421060 151040 421060 151040 421040</gml:posList></gml:LinearRing></gml:interior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember><gml:surfaceMember><gml:Surface gml:id="id18" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>151200 421000 151300 421000 151300 421100 151200 421100 151200 421000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember></gml:MultiSurface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.UPnoord-VA01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.UPnoord</imro:lokaalID><imro:versie>VA01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>uitwerkingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Uitwerking Noord</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>vastgesteld</imro:planstatus>
          <imro:datum>2022-02-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id20" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>151000 421000 151300 421000 151300 421100 151000 421100 151000 421000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
