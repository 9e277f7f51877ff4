<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT A REAL PLAN. Written for Woonplek Sitefinder's tests in the IMRO2012 GML form
     (IMRO2012 1.1, GML 3.2.1, RD New EPSG:28992): a bestemmingsplan of geometry constructs: areas a writer may get wrong (a crossing ring, curve members backwards or out of order, a hole that encloses nothing, an Arc of five points, overlapping MultiSurface members, a hole outside its shell, a spike, repeated points, an unclosed triangle, a figure eight) and one that has no area at all. -->
<imro:FeatureCollectionIMRO gml:id="Collectie" xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.geonovum.nl/imro/2012/1.1 http://schemas.geonovum.nl/imro/2012/1.1/IMRO2012.xsd">
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBbowtie">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBbowtie</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - vlinder</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id28" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153000 420000 153010 420010 153010 420000 153000 420010 153000 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBbackwards">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBbackwards</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - achterstevoren</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id31" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:Ring><gml:curveMember><gml:Curve gml:id="id29"><gml:segments><gml:LineStringSegment><gml:posList>153020 420000 153030 420000 153030 420010</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember><gml:curveMember><gml:Curve gml:id="id30"><gml:segments><gml:LineStringSegment><gml:posList>153020 420000 153020 420010 153030 420010</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBshuffled">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBshuffled</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - door elkaar</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id35" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:Ring><gml:curveMember><gml:Curve gml:id="id32"><gml:segments><gml:LineStringSegment><gml:posList>153040 420000 153050 420000</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember><gml:curveMember><gml:Curve gml:id="id33"><gml:segments><gml:LineStringSegment><gml:posList>153050 420010 153040 420010 153040 420000</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember><gml:curveMember><gml:Curve gml:id="id34"><gml:segments><gml:LineStringSegment><gml:posList>153050 420000 153050 420010</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBdegeneratehole">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBdegeneratehole</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - lege gat</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id36" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153060 420000 153070 420000 153070 420010 153060 420010 153060 420000</gml:posList></gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing><gml:posList>153062 420002 153064 420004 153062 420002 153062 420002</gml:posList></gml:LinearRing></gml:interior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBarcfive">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBarcfive</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - rond</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id38" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:Ring><gml:curveMember><gml:Curve gml:id="id37"><gml:segments><gml:Arc><gml:posList>153090 420005 153085 420010 153080 420005 153085 420000 153090 420005</gml:posList></gml:Arc></gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBoverlap">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBoverlap</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - overlap</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:MultiSurface gml:id="id41" srsName="urn:ogc:def:crs:EPSG::28992"><gml:surfaceMember><gml:Surface gml:id="id39" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153100 420000 153110 420000 153110 420010 153100 420010 153100 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember><gml:surfaceMember><gml:Surface gml:id="id40" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153105 420000 153115 420000 153115 420010 153105 420010 153105 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember></gml:MultiSurface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBholeout">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBholeout</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - gat erbuiten</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id42" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153120 420000 153130 420000 153130 420010 153120 420010 153120 420000</gml:posList></gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing><gml:posList>153125 420002 153135 420002 153135 420008 153125 420008 153125 420002</gml:posList></gml:LinearRing></gml:interior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBspike">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBspike</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - stekel</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id43" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153140 420000 153150 420000 153150 420005 153160 420005 153150 420005 153150 420010 153140 420010 153140 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBrepeated">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBrepeated</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - dubbele punten</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id44" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153160 420000 153160 420000 153170 420000 153170 420000 153170 420010 153160 420010 153160 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBunclosed">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBunclosed</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - open driehoek</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id45" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153180 420000 153190 420000 153180 420010</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBfigureeight">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBfigureeight</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - acht</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id46" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153200 420000 153210 420000 153210 420010 153220 420010 153220 420020 153210 420020 153210 420010 153200 420010 153200 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Enkelbestemming gml:id="NL.IMRO.9999.EBflat">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.EBflat</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>enkelbestemming</imro:typePlanobject>
      <imro:naam>Groen - plat</imro:naam>
      <imro:bestemmingshoofdgroep>groen</imro:bestemmingshoofdgroep>
      <imro:artikelnummer>3</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id47" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153230 420000 153240 420000 153250 420000 153230 420000</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Enkelbestemming>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Gebiedsaanduiding gml:id="NL.IMRO.9999.GAlpg">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.GAlpg</imro:lokaalID></imro:NEN3610ID></imro:identificatie>
      <imro:typePlanobject>gebiedsaanduiding</imro:typePlanobject>
      <imro:naam>veiligheidszone - lpg</imro:naam>
      <imro:gebiedsaanduidinggroep>veiligheidszone</imro:gebiedsaanduidinggroep>
      <imro:artikelnummer>9</imro:artikelnummer>
      <imro:plangebied xlink:href="#NL.IMRO.9999.BPgeometrie-VA01"/>
      <imro:geometrie>
        <gml:Surface gml:id="id50" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:Ring><gml:curveMember><gml:Curve gml:id="id48"><gml:segments><gml:Arc><gml:posList>153110 420040 153100 420050 153090 420040</gml:posList></gml:Arc></gml:segments></gml:Curve></gml:curveMember><gml:curveMember><gml:Curve gml:id="id49"><gml:segments><gml:Arc><gml:posList>153090 420040 153100 420030 153110 420040</gml:posList></gml:Arc></gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Gebiedsaanduiding>
  </imro:featureMember>
  <imro:featureMember>
    <imro:Bestemmingsplangebied gml:id="NL.IMRO.9999.BPgeometrie-VA01">
      <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace><imro:lokaalID>9999.BPgeometrie</imro:lokaalID><imro:versie>VA01</imro:versie></imro:NEN3610ID></imro:identificatie>
      <imro:typePlan>bestemmingsplan</imro:typePlan>
      <imro:beleidsmatigVerantwoordelijkeOverheid>gemeentelijke overheid</imro:beleidsmatigVerantwoordelijkeOverheid>
      <imro:naamOverheid>Voorbeeldgemeente</imro:naamOverheid>
      <imro:overheidsCode>9999</imro:overheidsCode>
      <imro:naam>Geometrie</imro:naam>
      <imro:planstatusInfo>
        <imro:PlanstatusEnDatum>
          <imro:planstatus>vastgesteld</imro:planstatus>
          <imro:datum>2020-01-01</imro:datum>
        </imro:PlanstatusEnDatum>
      </imro:planstatusInfo>
      <imro:verwijzingNorm>IMRO2012</imro:verwijzingNorm>
      <imro:geometrie>
        <gml:Surface gml:id="id51" srsName="urn:ogc:def:crs:EPSG::28992"><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing><gml:posList>153000 419980 153260 419980 153260 420060 153000 420060 153000 419980</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface>
      </imro:geometrie>
    </imro:Bestemmingsplangebied>
  </imro:featureMember>
</imro:FeatureCollectionIMRO>
