<?xml version="1.0" encoding="UTF-8"?>
<!-- NOT REAL TOP10NL DATA. A sample written for Woonplek Sitefinder in the TOP10NL 1.2 GML schema:
     three FunctioneelGebied polygons drawn by hand around real OpenStreetMap campsite locations in
     gemeente Ede (Camping Otterlo / Camping De Veluwe, Recreatiepark De Dikkenberg, TopParken Resort
     Bosvallei). Identifiers 9000000xx, shapes and metadata values are illustrative. See data/demo/SOURCES.md. -->
<top10nl:FeatureCollectionT10NL xmlns:top10nl="http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0" xmlns:brt="http://register.geostandaarden.nl/gmlapplicatieschema/brt-algemeen/1.2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xlink="http://www.w3.org/1999/xlink" xsi:schemaLocation="http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0 http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0/top10nl.xsd" gml:id="NL.TOP10NL_SITEFINDER_SAMPLE">
  <top10nl:FeatureMember>
    <top10nl:FunctioneelGebied gml:id="nl.top10nl.900000001">
      <top10nl:identificatie><brt:NEN3610ID><brt:namespace>NL.TOP10NL</brt:namespace><brt:lokaalID>900000001</brt:lokaalID></brt:NEN3610ID></top10nl:identificatie>
      <top10nl:brontype>Luchtfoto</top10nl:brontype>
      <top10nl:bronactualiteit>2023-01-01</top10nl:bronactualiteit>
      <top10nl:bronbeschrijving>Een orthogerectificeerde fotografische opname van een deel van het aardoppervlak. Gemaakt vanuit een vliegtuig.</top10nl:bronbeschrijving>
      <top10nl:bronnauwkeurigheid>0.4</top10nl:bronnauwkeurigheid>
      <top10nl:objectBeginTijd>2023-06-01</top10nl:objectBeginTijd>
      <top10nl:tijdstipRegistratie>2023-06-01T00:00:00</top10nl:tijdstipRegistratie>
      <top10nl:tdnCode>999</top10nl:tdnCode>
      <top10nl:visualisatieCode>19160</top10nl:visualisatieCode>
      <top10nl:typeFunctioneelGebied>kampeerterrein</top10nl:typeFunctioneelGebied>
      <top10nl:geometrie><brt:BRTVlakMultivlakOfPunt><brt:vlakGeometrie><gml:Polygon gml:id="nl.top10nl.900000001.geom" srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2" count="8">180630 457380 180665 457445 180720 457440 180790 457365 180785 457290 180720 457285 180690 457330 180630 457380</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></brt:vlakGeometrie></brt:BRTVlakMultivlakOfPunt></top10nl:geometrie>
    </top10nl:FunctioneelGebied>
  </top10nl:FeatureMember>
  <top10nl:FeatureMember>
    <top10nl:FunctioneelGebied gml:id="nl.top10nl.900000002">
      <top10nl:identificatie><brt:NEN3610ID><brt:namespace>NL.TOP10NL</brt:namespace><brt:lokaalID>900000002</brt:lokaalID></brt:NEN3610ID></top10nl:identificatie>
      <top10nl:brontype>Luchtfoto</top10nl:brontype>
      <top10nl:bronactualiteit>2023-01-01</top10nl:bronactualiteit>
      <top10nl:bronbeschrijving>Een orthogerectificeerde fotografische opname van een deel van het aardoppervlak. Gemaakt vanuit een vliegtuig.</top10nl:bronbeschrijving>
      <top10nl:bronnauwkeurigheid>0.4</top10nl:bronnauwkeurigheid>
      <top10nl:objectBeginTijd>2023-06-01</top10nl:objectBeginTijd>
      <top10nl:tijdstipRegistratie>2023-06-01T00:00:00</top10nl:tijdstipRegistratie>
      <top10nl:tdnCode>999</top10nl:tdnCode>
      <top10nl:visualisatieCode>19160</top10nl:visualisatieCode>
      <top10nl:typeFunctioneelGebied>recreatiepark</top10nl:typeFunctioneelGebied>
      <top10nl:naamNL>De Dikkenberg</top10nl:naamNL>
      <top10nl:geometrie><brt:BRTVlakMultivlakOfPunt><brt:vlakGeometrie><gml:Polygon gml:id="nl.top10nl.900000002.geom" srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2" count="6">178100 446280 178120 446500 178330 446520 178380 446400 178340 446270 178100 446280</gml:posList></gml:LinearRing></gml:exterior><gml:interior><gml:LinearRing><gml:posList srsDimension="2" count="5">178150 446300 178150 446340 178200 446340 178200 446300 178150 446300</gml:posList></gml:LinearRing></gml:interior></gml:Polygon></brt:vlakGeometrie></brt:BRTVlakMultivlakOfPunt></top10nl:geometrie>
    </top10nl:FunctioneelGebied>
  </top10nl:FeatureMember>
  <top10nl:FeatureMember>
    <top10nl:FunctioneelGebied gml:id="nl.top10nl.900000003">
      <top10nl:identificatie><brt:NEN3610ID><brt:namespace>NL.TOP10NL</brt:namespace><brt:lokaalID>900000003</brt:lokaalID></brt:NEN3610ID></top10nl:identificatie>
      <top10nl:brontype>Luchtfoto</top10nl:brontype>
      <top10nl:bronactualiteit>2023-01-01</top10nl:bronactualiteit>
      <top10nl:bronbeschrijving>Een orthogerectificeerde fotografische opname van een deel van het aardoppervlak. Gemaakt vanuit een vliegtuig.</top10nl:bronbeschrijving>
      <top10nl:bronnauwkeurigheid>0.4</top10nl:bronnauwkeurigheid>
      <top10nl:objectBeginTijd>2023-06-01</top10nl:objectBeginTijd>
      <top10nl:tijdstipRegistratie>2023-06-01T00:00:00</top10nl:tijdstipRegistratie>
      <top10nl:tdnCode>999</top10nl:tdnCode>
      <top10nl:visualisatieCode>19160</top10nl:visualisatieCode>
      <top10nl:typeFunctioneelGebied>bungalowpark</top10nl:typeFunctioneelGebied>
      <top10nl:naamNL>Resort Bosvallei</top10nl:naamNL>
      <top10nl:geometrie><brt:BRTVlakMultivlakOfPunt><brt:multivlakGeometrie><gml:MultiSurface gml:id="nl.top10nl.900000003.geom" srsName="urn:ogc:def:crs:EPSG::28992"><gml:surfaceMember><gml:Polygon gml:id="nl.top10nl.900000003.geom.1" srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2" count="5">173980 453930 173990 454060 174100 454065 174110 453915 173980 453930</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember><gml:surfaceMember><gml:Polygon gml:id="nl.top10nl.900000003.geom.2" srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:LinearRing><gml:posList srsDimension="2" count="5">173995 454080 174000 454120 174190 454120 174200 454070 173995 454080</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></brt:multivlakGeometrie></brt:BRTVlakMultivlakOfPunt></top10nl:geometrie>
    </top10nl:FunctioneelGebied>
  </top10nl:FeatureMember>
</top10nl:FeatureCollectionT10NL>
