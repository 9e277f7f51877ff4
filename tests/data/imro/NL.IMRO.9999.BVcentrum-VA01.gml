<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): a beheersverordening (PRGB2012): a Besluitgebied_X with three Besluitvlak_X (Wonen; Bedrijf - Nutsvoorziening; Beheergebied, a name without a bestemmingshoofdgroep) and a Besluitsubvlak_X. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Besluitvlak_X gml:id="NL.IMRO.9999.BVwonen">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BVwonen</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>besluitvlak_X</imro:typePlanobject>
      <imro:besluitgebied xlink:href="#NL.IMRO.9999.BVcentrum-VA01"/>
      <imro:naam>Wonen</imro:naam>
      <imro:geometrie>
        <gml:Surface gml:id="id23" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>152000 420000 152100 420000 152100 420100 152000 420100 152000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Besluitvlak_X>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Besluitvlak_X gml:id="NL.IMRO.9999.BVnuts">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BVnuts</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>besluitvlak_X</imro:typePlanobject>
      <imro:besluitgebied xlink:href="#NL.IMRO.9999.BVcentrum-VA01"/>
      <imro:naam>Bedrijf - Nutsvoorziening</imro:naam>
      <imro:geometrie>
        <gml:Surface gml:id="id24" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>152100 420000 152150 420000 152150 420100 152100 420100 152100 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Besluitvlak_X>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Besluitvlak_X gml:id="NL.IMRO.9999.BVbeheer">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BVbeheer</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>besluitvlak_X</imro:typePlanobject>
      <imro:besluitgebied xlink:href="#NL.IMRO.9999.BVcentrum-VA01"/>
      <imro:naam>Beheergebied</imro:naam>
      <imro:geometrie>
        <gml:Surface gml:id="id25" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>152150 420000 152200 420000 152200 420100 152150 420100 152150 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Besluitvlak_X>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Besluitsubvlak_X gml:id="NL.IMRO.9999.BSzorg">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BSzorg</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>besluitsubvlak_X</imro:typePlanobject>
      <imro:besluitgebied xlink:href="#NL.IMRO.9999.BVcentrum-VA01"/>
      <imro:besluitvlak xlink:href="#NL.IMRO.9999.BVwonen"/>
      <imro:naam>specifieke vorm van wonen - zorgwoning</imro:naam>
      <imro:geometrie>
        <gml:Surface gml:id="id26" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>152000 420000 152050 420000 152050 420050 152000 420050 152000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Besluitsubvlak_X>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Besluitgebied_X gml:id="NL.IMRO.9999.BVcentrum-VA01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BVcentrum</imro:lokaalID><imro:versie>VA01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>beheersverordening</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Beheersverordening Centrum</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>vastgesteld</imro:planstatus>
          <imro:datum>2012-11-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id27" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>152000 420000 152200 420000 152200 420100 152000 420100 152000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Besluitgebied_X>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
