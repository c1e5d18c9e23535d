/**
 * TypeORM types without a hard dependency on typeorm's type declarations.
 *
 * The main entry point mentions a DataSource (the `typeorm` module option) and an
 * EntityManager (`delayOnCommit(..., { manager })`), but typeorm is an optional peer: an app on
 * Redis or RabbitMQ alone must type-check without it. `celeriac/typeorm`, which needs typeorm
 * anyway, registers typeorm's own classes in {@link TypeOrmPeerTypes}; until a program imports
 * it, the structural stand-ins below are used instead.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface TypeOrmPeerTypes {}

/** The parts of a TypeORM DataSource that identify one, for programs without typeorm's types. */
export interface DataSourceStandIn {
  readonly options: { readonly type: string };
  readonly isInitialized: boolean;
}

/** The parts of a TypeORM EntityManager that identify one, for programs without typeorm's types. */
export interface EntityManagerStandIn {
  readonly dataSource: DataSourceStandIn;
}

/** typeorm's `DataSource` once `celeriac/typeorm` is in the program, else {@link DataSourceStandIn}. */
export type DataSource = TypeOrmPeerTypes extends { dataSource: infer D } ? D : DataSourceStandIn;

/** typeorm's `EntityManager` once `celeriac/typeorm` is in the program, else {@link EntityManagerStandIn}. */
export type EntityManager = TypeOrmPeerTypes extends { entityManager: infer M }
  ? M
  : EntityManagerStandIn;
